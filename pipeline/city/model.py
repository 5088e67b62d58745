"""The generated city: patrol areas, grid cells, stations and checkpoints, with lookups by id.

A ``City`` is plain frozen data built by ``build_city``; it knows nothing of Kafka. Its checkpoints are
``DeviceRecord``s exactly as published on the device-registry topic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from pipeline.city.territory import District
from pipeline.contracts.reference import DeviceRecord


@dataclass(frozen=True)
class PatrolArea:
    """A large patrol area (大巡区) of one district."""

    patrol_area_id: str
    district: str
    lat: float
    lon: float


@dataclass(frozen=True)
class GridCell:
    """A grid cell (单元格): the smallest unit of patrol territory, inside one patrol area."""

    grid_cell_id: str
    patrol_area_id: str
    district: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Station:
    """A street police station (街面警务站); a device answers to the nearest one in its district."""

    station_id: str
    name: str
    district: str
    lat: float
    lon: float


@dataclass(frozen=True)
class City:
    """One deterministic city for a profile and seed."""

    profile: str
    seed: int
    districts: tuple[District, ...]
    patrol_areas: tuple[PatrolArea, ...]
    grid_cells: tuple[GridCell, ...]
    stations: tuple[Station, ...]
    checkpoints: tuple[DeviceRecord, ...]

    @property
    def devices(self) -> tuple[DeviceRecord, ...]:
        """Every registered device of the city (today: the vehicle checkpoints)."""
        return self.checkpoints

    @cached_property
    def devices_by_id(self) -> Mapping[str, DeviceRecord]:
        return {device.device_id: device for device in self.devices}

    def device(self, device_id: str) -> DeviceRecord | None:
        return self.devices_by_id.get(device_id)

    def checkpoints_on_ring(self, ring: str | None) -> tuple[DeviceRecord, ...]:
        return tuple(device for device in self.checkpoints if device.ring == ring)

    def district(self, name: str) -> District:
        for district in self.districts:
            if district.name == name:
                return district
        raise KeyError(name)
