"""What the simulator knows of a city: its devices and the reference data they act on, nothing else.

``SimulationWorld`` is plain data (the device registry, sites, crowd zones, depots and transport permits),
so the generators do not depend on how ``pipeline.city`` builds a city: ``from_city`` reads any object with
those attributes, and tests or benchmarks can assemble a world from records directly. The look-ups below
tie devices to what they report on: a camera to its crowd zone, a depot's sensors to the depot, a transport
vehicle's tracker to its permit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.contracts.sites import CrowdZone, DepotRecord, Site, SiteKind, TransportPermit

STATION_EXIT_KINDS = frozenset({SiteKind.RAIL_STATION, SiteKind.BUS_STATION, SiteKind.AIRPORT})


@dataclass(frozen=True)
class SimulationWorld:
    """The devices that send and the reference data that shapes what they send."""

    devices: tuple[DeviceRecord, ...]
    sites: tuple[Site, ...] = ()
    crowd_zones: tuple[CrowdZone, ...] = ()
    depots: tuple[DepotRecord, ...] = ()
    permits: tuple[TransportPermit, ...] = ()
    name: str = "world"
    _by_family: dict[DeviceFamily, tuple[DeviceRecord, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        grouped: dict[DeviceFamily, list[DeviceRecord]] = defaultdict(list)
        for device in self.devices:
            grouped[device.family].append(device)
        self._by_family.update({family: tuple(items) for family, items in grouped.items()})

    @classmethod
    def from_city(cls, city: object) -> SimulationWorld:
        """Any city-like object: ``devices`` is required; sites, zones, depots and permits if it has them."""
        devices = getattr(city, "devices", None)
        if devices is None:
            raise TypeError(f"{type(city).__name__} has no 'devices'")
        return cls(
            devices=tuple(devices),
            sites=tuple(getattr(city, "sites", ())),
            crowd_zones=tuple(getattr(city, "crowd_zones", ())),
            depots=tuple(getattr(city, "depots", ())),
            permits=tuple(getattr(city, "permits", ())),
            name=str(getattr(city, "profile", "city")),
        )

    def devices_of(self, family: DeviceFamily) -> tuple[DeviceRecord, ...]:
        return self._by_family.get(family, ())

    def with_devices(self, devices: Sequence[DeviceRecord]) -> SimulationWorld:
        """The same reference data with another registry (e.g. without a scenario's reserved devices)."""
        return SimulationWorld(
            tuple(devices), self.sites, self.crowd_zones, self.depots, self.permits, self.name
        )

    @cached_property
    def sites_by_id(self) -> Mapping[str, Site]:
        return {site.site_id: site for site in self.sites}

    @cached_property
    def depots_by_id(self) -> Mapping[str, DepotRecord]:
        return {depot.depot_id: depot for depot in self.depots}

    def site_kind(self, device: DeviceRecord) -> SiteKind | None:
        site = self.sites_by_id.get(device.site_id) if device.site_id else None
        return site.kind if site else None

    def zone_cameras(self) -> dict[str, tuple[DeviceRecord, ...]]:
        """The crowd-counting cameras of each zone: cameras at the zone's site, matched by name when the
        registry names the zone, otherwise dealt out over the site's zones in turn."""
        cameras_at: dict[str, list[DeviceRecord]] = defaultdict(list)
        for camera in self.devices_of(DeviceFamily.CAMERA):
            if camera.site_id:
                cameras_at[camera.site_id].append(camera)
        zones_at: dict[str, list[CrowdZone]] = defaultdict(list)
        for zone in self.crowd_zones:
            zones_at[zone.site_id].append(zone)
        result: dict[str, tuple[DeviceRecord, ...]] = {}
        for site_id, zones in zones_at.items():
            cameras = cameras_at.get(site_id, [])
            unclaimed = [c for c in cameras if not any(_names_zone(c, z) for z in zones)]
            for index, zone in enumerate(zones):
                own = [c for c in cameras if _names_zone(c, zone)]
                own += unclaimed[index :: len(zones)]
                if own:
                    result[zone.zone_id] = tuple(own)
        return result

    def depot_of(self, device: DeviceRecord) -> DepotRecord | None:
        return self.depots_by_id.get(device.site_id) if device.site_id else None

    def transport_permits(self) -> dict[str, TransportPermit]:
        """Tracker device_id -> its vehicle's permit: the permit whose plate the device's name carries,
        else the next unclaimed permit of the device's depot."""
        trackers = [d for d in self.devices_of(DeviceFamily.EXPLOSIVES) if has_subtype(d, "transport")]
        free = list(self.permits)
        result: dict[str, TransportPermit] = {}
        for tracker in trackers:
            named = [p for p in free if p.plate in tracker.name]
            chosen = named or [p for p in free if p.depot_id == tracker.site_id]
            if chosen:
                result[tracker.device_id] = chosen[0]
                free.remove(chosen[0])
        return result


def _names_zone(camera: DeviceRecord, zone: CrowdZone) -> bool:
    # The city model names the zone in the camera's name: '... crowd zone SQ-KB-01-Z1 camera 1'.
    return f"{zone.zone_id} " in f"{camera.name} "


def has_subtype(device: DeviceRecord, *words: str) -> bool:
    """Whether the device's subtype contains any of ``words`` ('door' matches 'door' and 'depot_door')."""
    subtype = (device.subtype or "").lower()
    return any(word in subtype for word in words)
