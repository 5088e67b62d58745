"""The generated city: territory, devices of every family and the reference records, with lookups by id.

A ``City`` is plain frozen data built by ``build_city``; it knows nothing of Kafka. Its devices, sites,
crowd zones, depots and permits are the contracts' records exactly as published on the reference topics.
Lookups are built on first use, so a city that is only published never pays for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from pipeline.city.territory import District
from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.contracts.sites import CrowdZone, DepotRecord, Site, SiteKind, TransportPermit


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
    """A street police station (街面警务站); a grid cell answers to the nearest one in its district."""

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
    devices: tuple[DeviceRecord, ...]
    """Every registered device, grouped by family in ``DeviceFamily`` order."""
    sites: tuple[Site, ...]
    crowd_zones: tuple[CrowdZone, ...]
    depots: tuple[DepotRecord, ...]
    permits: tuple[TransportPermit, ...]

    @property
    def checkpoints(self) -> tuple[DeviceRecord, ...]:
        """The vehicle checkpoints of every subtype: the devices that send plate reads."""
        return self.devices_of(DeviceFamily.VEHICLE_CHECKPOINT)

    def devices_of(self, family: DeviceFamily) -> tuple[DeviceRecord, ...]:
        return self._devices_by_family.get(family, ())

    @cached_property
    def devices_by_id(self) -> Mapping[str, DeviceRecord]:
        return {device.device_id: device for device in self.devices}

    def device(self, device_id: str) -> DeviceRecord | None:
        return self.devices_by_id.get(device_id)

    def devices_at(self, site_id: str) -> tuple[DeviceRecord, ...]:
        """The devices that belong to a site (its gates, buttons, door sensors, cameras...)."""
        return self._devices_by_site.get(site_id, ())

    def checkpoints_on_ring(self, ring: str | None) -> tuple[DeviceRecord, ...]:
        return tuple(device for device in self.checkpoints if device.ring == ring)

    def site(self, site_id: str) -> Site | None:
        return self._sites_by_id.get(site_id)

    def sites_of(self, kind: SiteKind) -> tuple[Site, ...]:
        return tuple(site for site in self.sites if site.kind is kind)

    def zones_of(self, site_id: str) -> tuple[CrowdZone, ...]:
        """The crowd zones of a square."""
        return tuple(zone for zone in self.crowd_zones if zone.site_id == site_id)

    def depot(self, depot_id: str) -> DepotRecord | None:
        return next((depot for depot in self.depots if depot.depot_id == depot_id), None)

    def permit(self, permit_id: str) -> TransportPermit | None:
        return next((permit for permit in self.permits if permit.permit_id == permit_id), None)

    def district(self, name: str) -> District:
        for district in self.districts:
            if district.name == name:
                return district
        raise KeyError(name)

    @cached_property
    def _devices_by_family(self) -> Mapping[DeviceFamily, tuple[DeviceRecord, ...]]:
        grouped: dict[DeviceFamily, list[DeviceRecord]] = {family: [] for family in DeviceFamily}
        for device in self.devices:
            grouped[device.family].append(device)
        return {family: tuple(devices) for family, devices in grouped.items()}

    @cached_property
    def _devices_by_site(self) -> Mapping[str, tuple[DeviceRecord, ...]]:
        grouped: dict[str, list[DeviceRecord]] = {}
        for device in self.devices:
            if device.site_id is not None:
                grouped.setdefault(device.site_id, []).append(device)
        return {site_id: tuple(devices) for site_id, devices in grouped.items()}

    @cached_property
    def _sites_by_id(self) -> Mapping[str, Site]:
        return {site.site_id: site for site in self.sites}
