"""Builds a ``City`` from a profile and a seed: where patrol areas, grid cells, stations and checkpoints go.

Deterministic: the same profile and seed give the same city in every process and on every machine
(``random.Random`` seeded with a string is stable, unlike ``hash()``). Counts are split over the districts by
their weight with the largest-remainder method, so totals are exact and every district gets at least one of
each thing.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from pipeline.city.model import City, GridCell, PatrolArea, Station
from pipeline.city.territory import DISTRICTS, ROADS, CityProfile, District, profile_named
from pipeline.contracts.reference import DeviceFamily, DeviceRecord, Place

KM_PER_DEGREE = 111.32

# How far from the district seat each kind of checkpoint stands, as a share of the district's radius:
# the city ring closes the perimeter, the banner ring the banner's town, the core ring the central district.
_RING_REACH: dict[str | None, float] = {"city": 0.95, "banner": 0.5, "core": 0.6, None: 0.25}


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


def build_city(profile: str = "small", seed: int = 7) -> City:
    """The city of ``profile`` (see ``territory.PROFILES``) for ``seed``."""
    spec = profile_named(profile)
    rng = random.Random(f"warmcity-city:{spec.name}:{seed}")
    weights = [d.weight for d in DISTRICTS]
    ones = [1] * len(DISTRICTS)
    pa_counts = apportion(spec.patrol_areas, weights, ones)
    cell_counts = apportion(spec.grid_cells, weights, pa_counts)
    station_counts = apportion(spec.stations, weights, ones)
    checkpoint_counts = apportion(spec.checkpoints, weights, ones)

    patrol_areas: list[PatrolArea] = []
    cells: list[GridCell] = []
    stations: list[Station] = []
    checkpoints: list[DeviceRecord] = []
    for index, district in enumerate(DISTRICTS):
        own_areas = _patrol_areas(rng, district, pa_counts[index], first=len(patrol_areas) + 1)
        own_cells = _grid_cells(rng, district, own_areas, cell_counts[index], first=len(cells) + 1)
        own_stations = _stations(rng, district, station_counts[index], first=len(stations) + 1)
        patrol_areas += own_areas
        cells += own_cells
        stations += own_stations
        checkpoints += _checkpoints(rng, spec, district, checkpoint_counts[index], own_cells, own_stations)
    return City(
        profile=spec.name,
        seed=seed,
        districts=DISTRICTS,
        patrol_areas=tuple(patrol_areas),
        grid_cells=tuple(cells),
        stations=tuple(stations),
        checkpoints=tuple(checkpoints),
    )


def _patrol_areas(rng: random.Random, district: District, count: int, first: int) -> list[PatrolArea]:
    areas = []
    for number in range(first, first + count):
        lat, lon = _in_disc(rng, district.lat, district.lon, 0.6 * district.radius_km)
        areas.append(PatrolArea(f"PA-{number:02d}", district.name, lat, lon))
    return areas


def _grid_cells(
    rng: random.Random, district: District, areas: Sequence[PatrolArea], count: int, first: int
) -> list[GridCell]:
    per_area = apportion(count, [1.0] * len(areas), [1] * len(areas))
    spread_km = min(4.0, 0.2 * district.radius_km)  # cells are a few km across: a patrol car's beat
    cells: list[GridCell] = []
    for area, n in zip(areas, per_area, strict=True):
        for _ in range(n):
            lat, lon = _in_disc(rng, area.lat, area.lon, spread_km)
            cells.append(
                GridCell(f"GC-{first + len(cells):04d}", area.patrol_area_id, district.name, lat, lon)
            )
    return cells


def _stations(rng: random.Random, district: District, count: int, first: int) -> list[Station]:
    stations = []
    for k in range(count):
        # Street stations stand at junctions and crowd points: in town, near the seat.
        lat, lon = _in_disc(rng, district.lat, district.lon, 0.25 * district.radius_km)
        name = f"{district.name} street police station {k + 1}"
        stations.append(Station(f"ST-{first + k:02d}", name, district.name, lat, lon))
    return stations


def _checkpoints(
    rng: random.Random,
    spec: CityProfile,
    district: District,
    count: int,
    cells: Sequence[GridCell],
    stations: Sequence[Station],
) -> list[DeviceRecord]:
    rings = ["core", "banner"] if district.core else ["city", "banner"]
    shares = [spec.ring_shares[ring] for ring in rings]
    per_ring = apportion(count, [*shares, max(0.0, 1.0 - sum(shares))])
    roles: list[str | None] = [ring for ring, n in zip(rings, per_ring, strict=False) for _ in range(n)]
    roles += [None] * per_ring[-1]
    devices = []
    for number, ring in enumerate(roles, start=1):
        reach = _RING_REACH[ring] * district.radius_km * rng.uniform(0.85, 1.1)
        lat, lon = _offset(district.lat, district.lon, reach, rng.uniform(0.0, 2 * math.pi))
        cell = min(cells, key=lambda c: _distance2(lat, lon, c.lat, c.lon))
        station = min(stations, key=lambda s: _distance2(lat, lon, s.lat, s.lon))
        road = rng.choice(ROADS)
        place = Place(
            district=district.name,
            patrol_area=cell.patrol_area_id,
            grid_cell=cell.grid_cell_id,
            station=station.station_id,
            lat=lat,
            lon=lon,
        )
        devices.append(
            DeviceRecord(
                device_id=f"KK-{district.code}-{number:04d}",
                family=DeviceFamily.VEHICLE_CHECKPOINT,
                name=f"{road} {district.name} checkpoint {number:02d}",
                place=place,
                ring=ring,
            )
        )
    return devices


def _in_disc(rng: random.Random, lat: float, lon: float, radius_km: float) -> tuple[float, float]:
    # sqrt spreads points evenly over the disc instead of crowding them at its centre
    distance = radius_km * math.sqrt(rng.random())
    return _offset(lat, lon, distance, rng.uniform(0.0, 2 * math.pi))


def _offset(lat: float, lon: float, distance_km: float, bearing: float) -> tuple[float, float]:
    # Equirectangular step: accurate to well under 1% over the tens of km of a district.
    dlat = distance_km * math.cos(bearing) / KM_PER_DEGREE
    dlon = distance_km * math.sin(bearing) / (KM_PER_DEGREE * math.cos(math.radians(lat)))
    return round(lat + dlat, 5), round(lon + dlon, 5)


def _distance2(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dx = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return dx * dx + (lat2 - lat1) ** 2
