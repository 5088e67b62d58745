"""The city's reference data as keyed records, one sequence per compacted reference topic.

The key of each topic is the record's identity, so compaction keeps its latest version: ``device_id``,
``site_id``, ``zone_id``, ``depot_id``, ``permit_id`` and ``grid_cell_id``. Values are the records' JSON
exactly as the workers' reference feeds parse them. ``registry_digest`` hashes all of it (and the
territory), which is how tests prove that a seed always gives the same city.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType

from pydantic import BaseModel

from pipeline.city.ground import Ground
from pipeline.city.model import City
from pipeline.contracts.sites import GridCellRecord

REFERENCE_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "devices": "device_id",
        "sites": "site_id",
        "crowd_zones": "zone_id",
        "depots": "depot_id",
        "permits": "permit_id",
        "grid_cells": "grid_cell_id",
    }
)
"""Reference topic (a name of ``pipeline.topics.REFERENCE_TOPICS``) -> the field that keys its records."""


def reference_records(city: City) -> dict[str, Sequence[BaseModel]]:
    """What the city publishes on each of its reference topics, by topic name."""
    return {
        "devices": city.devices,
        "sites": city.sites,
        "crowd_zones": city.crowd_zones,
        "depots": city.depots,
        "permits": city.permits,
        "grid_cells": grid_cell_records(city),
    }


def grid_cell_records(city: City) -> tuple[GridCellRecord, ...]:
    """The city's grid cells as the workers place points on them: centre, patrol area, district and the
    station responsible (the nearest of the cell's district, as ``Ground`` places devices)."""
    ground = Ground(city.districts, city.grid_cells, city.stations)
    return tuple(
        GridCellRecord(
            grid_cell_id=cell.grid_cell_id,
            patrol_area=cell.patrol_area_id,
            district=cell.district,
            station=ground.station_of(cell.grid_cell_id),
            lat=cell.lat,
            lon=cell.lon,
        )
        for cell in city.grid_cells
    )


def keyed(topic_name: str, records: Sequence[BaseModel]) -> Iterator[tuple[bytes, bytes]]:
    """``(key, JSON value)`` of each record for the reference topic called ``topic_name``."""
    field = REFERENCE_KEYS[topic_name]
    for record in records:
        yield str(getattr(record, field)).encode(), record.model_dump_json().encode()


def registry_digest(city: City) -> str:
    """SHA-256 of every reference record and the territory: equal digests, equal cities."""
    digest = hashlib.sha256()
    for name, records in reference_records(city).items():
        digest.update(f"\x00topic:{name}\x00".encode())
        for key, value in keyed(name, records):
            digest.update(key + b"\x00" + value + b"\n")
    for part in (city.patrol_areas, city.grid_cells, city.stations):
        digest.update(repr(part).encode())  # frozen dataclasses: repr is their whole content
    return digest.hexdigest()
