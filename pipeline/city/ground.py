"""Where things go: splitting counts over the districts, and placing points on the city's grid cells.

``Ground`` holds each district's grid cells and street stations and turns a point into a ``Place`` that
is consistent by construction: its grid cell is one of the district's cells (so the patrol area and the
district agree) and its station is the one responsible for that cell, the district's nearest to it.
Plain ``random.Random`` and arithmetic keep the whole build deterministic and fast (about 100,000 places
per second).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import TypeVar

from pipeline.city.model import GridCell, Station
from pipeline.city.territory import District
from pipeline.contracts.reference import Place

KM_PER_DEGREE = 111.32
CELL_REACH_KM = 1.5  # how far from its grid cell's centre a device in that cell may stand

_Located = TypeVar("_Located", GridCell, Station)


def apportion(total: int, weights: Sequence[float], minimums: Sequence[int] | None = None) -> list[int]:
    """Split ``total`` by ``weights`` (largest remainder), giving each share at least its minimum."""
    floors = list(minimums) if minimums is not None else [0] * len(weights)
    spare = total - sum(floors)
    if spare < 0:
        raise ValueError(f"cannot split {total} into shares of at least {floors}")
    weight_sum = sum(weights)
    exact = [spare * w / weight_sum for w in weights]
    shares = [floor + int(x) for floor, x in zip(floors, exact, strict=True)]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - int(exact[i])), i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def at_least_one_each(total: int, count: int) -> list[int] | None:
    """Minimums of one per district when there are enough to go round, else none (small profiles)."""
    return [1] * count if total >= count else None


class Ground:
    """The districts' grid cells and stations, for placing devices and sites."""

    def __init__(
        self, districts: Sequence[District], cells: Sequence[GridCell], stations: Sequence[Station]
    ) -> None:
        self._cells = {d.name: [c for c in cells if c.district == d.name] for d in districts}
        own_stations = {d.name: [s for s in stations if s.district == d.name] for d in districts}
        self._station_of = {
            c.grid_cell_id: _nearest(own_stations[c.district], c.lat, c.lon).station_id for c in cells
        }

    def station_of(self, grid_cell_id: str) -> str:
        """The station responsible for a grid cell: the nearest one of the cell's district."""
        return self._station_of[grid_cell_id]

    def at(self, district: District, lat: float, lon: float) -> Place:
        """The place of a point of ``district``: the nearest of its grid cells and stations."""
        cell = _nearest(self._cells[district.name], lat, lon)
        return self._place(district, cell, lat, lon)

    def in_cell(self, rng: random.Random, district: District, cell: GridCell | None = None) -> Place:
        """A point within ``CELL_REACH_KM`` of ``cell`` (a random cell of the district by default)."""
        chosen = cell if cell is not None else rng.choice(self._cells[district.name])
        lat, lon = in_disc(rng, chosen.lat, chosen.lon, CELL_REACH_KM)
        return self._place(district, chosen, lat, lon)

    def around_seat(self, rng: random.Random, district: District, low: float, high: float) -> Place:
        """A point between ``low`` and ``high`` times the district's radius from its seat."""
        reach = district.radius_km * rng.uniform(low, high)
        lat, lon = offset(district.lat, district.lon, reach, rng.uniform(0.0, 2 * math.pi))
        return self.at(district, lat, lon)

    def _place(self, district: District, cell: GridCell, lat: float, lon: float) -> Place:
        return Place(
            district=district.name,
            patrol_area=cell.patrol_area_id,
            grid_cell=cell.grid_cell_id,
            station=self._station_of[cell.grid_cell_id],
            lat=lat,
            lon=lon,
        )


def in_disc(rng: random.Random, lat: float, lon: float, radius_km: float) -> tuple[float, float]:
    """A uniformly random point within ``radius_km`` of (lat, lon)."""
    # sqrt spreads points evenly over the disc instead of crowding them at its centre
    distance = radius_km * math.sqrt(rng.random())
    return offset(lat, lon, distance, rng.uniform(0.0, 2 * math.pi))


def offset(lat: float, lon: float, distance_km: float, bearing: float) -> tuple[float, float]:
    """The point ``distance_km`` from (lat, lon) towards ``bearing`` (radians from north), 5 decimals."""
    # Equirectangular step: accurate to well under 1% over the tens of km of a district.
    dlat = distance_km * math.cos(bearing) / KM_PER_DEGREE
    dlon = distance_km * math.sin(bearing) / (KM_PER_DEGREE * math.cos(math.radians(lat)))
    return round(lat + dlat, 5), round(lon + dlon, 5)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dx = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return KM_PER_DEGREE * math.hypot(dx, lat2 - lat1)


def _nearest(candidates: Sequence[_Located], lat: float, lon: float) -> _Located:
    # Squared equirectangular distance with one cosine for the whole district: ranking is all we need.
    scale = math.cos(math.radians(lat)) ** 2
    return min(candidates, key=lambda c: scale * (c.lon - lon) ** 2 + (c.lat - lat) ** 2)
