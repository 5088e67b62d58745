"""The background traffic of a world: which devices send which event types, and how the rate is shared.

Devices are sorted into event types by their subtype (the city model's 'door', 'inventory', 'transport',
'alarm_button', 'campus_gate', 'person_gate', 'vehicle_barrier', 'long_range', ...); a device without a
known subtype sends every event type of its family. What scenarios reserved is left out: their devices and
zones, their watched plates and ID numbers.

The mix (``MixTable``): heartbeats come first (a fixed cadence, see ``cameras``); the rest of the rate is
shared by the streams in proportion to their natural rates at the local hour, i.e. devices x events per
device x the stream's daily curve. So it follows the registry (the small profile has few cameras) and the
hour (plate reads dominate in daytime, at night heartbeats and counters weigh more), whatever total rate
is asked for. If none of the selected streams is active at an hour, they share it by their peak rates.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.contracts.sites import SiteKind
from pipeline.simulate.cameras import CrowdCountStream, ThermalStream, VideoLossStream
from pipeline.simulate.checkpoints import PlateReadStream
from pipeline.simulate.communities import PersonAccessStream, VehicleAccessStream
from pipeline.simulate.explosives import DepotDoorStream, InventoryStream, TransportStream
from pipeline.simulate.fleet import VehicleFleet
from pipeline.simulate.persons import FaceCaptureStream, IdVerificationStream
from pipeline.simulate.schools import AlarmTestStream, CampusAccessStream
from pipeline.simulate.streams import DenialLimiter, EventStream
from pipeline.simulate.timing import DeviceDelays
from pipeline.simulate.world import SimulationWorld, has_subtype


@dataclass(frozen=True)
class Reservations:
    """What the background must leave alone because a scenario sends it, or watches for it."""

    device_ids: frozenset[str] = frozenset()
    zone_ids: frozenset[str] = frozenset()
    plates: frozenset[str] = frozenset()
    id_numbers: frozenset[str] = frozenset()


@dataclass
class Background:
    streams: list[EventStream] = field(default_factory=list)
    cameras: tuple[DeviceRecord, ...] = ()  # the cameras that heartbeat


def fleet_for(world: SimulationWorld) -> VehicleFleet:
    communities = [s for s in world.sites if s.kind is SiteKind.COMMUNITY]
    return VehicleFleet(len(world.devices_of(DeviceFamily.VEHICLE_CHECKPOINT)), max(1, len(communities)))


def build_background(
    world: SimulationWorld,
    rng: random.Random,
    delays: DeviceDelays,
    reserved: Reservations,
    families: Collection[DeviceFamily],
) -> Background:
    def of(family: DeviceFamily, *words: str) -> list[DeviceRecord]:
        if family not in families:
            return []
        devices = [d for d in world.devices_of(family) if d.device_id not in reserved.device_ids]
        if not words:
            return devices
        typed = [d for d in devices if has_subtype(d, *words)]
        untyped = [d for d in devices if not d.subtype]
        return typed + untyped

    fleet = fleet_for(world)
    limiter = DenialLimiter()
    # Transport permits name real vehicles: the background fleet leaves their plates to them.
    permit_plates = {permit.plate for permit in world.permits}
    checkpoints = world.devices_of(DeviceFamily.VEHICLE_CHECKPOINT)
    # Fleet ranges follow the full registry, so reserving a checkpoint does not move anyone's vehicles.
    position = {d.device_id: n for n, d in enumerate(checkpoints)}
    plate_devices = of(DeviceFamily.VEHICLE_CHECKPOINT)
    positions = [position[d.device_id] for d in plate_devices]
    plate_stream = PlateReadStream(
        rng, delays, plate_devices, fleet, permit_plates, positions, reserved.plates
    )

    cameras = of(DeviceFamily.CAMERA)
    zone_cameras = {
        zone_id: tuple(c for c in cams if c.device_id not in reserved.device_ids)
        for zone_id, cams in world.zone_cameras().items()
        if zone_id not in reserved.zone_ids and DeviceFamily.CAMERA in families
    }
    zone_of = {c.device_id: zone_id for zone_id, cams in zone_cameras.items() for c in cams}
    thermal = [c for c in cameras if has_subtype(c, "thermal", "long_range") or c.device_id in zone_of]

    depot_sensors = of(DeviceFamily.EXPLOSIVES, "door", "inventory", "depot")
    depot_of = {d.device_id: depot for d in depot_sensors if (depot := world.depot_of(d)) is not None}
    doors = [d for d in depot_sensors if not has_subtype(d, "inventory")]
    counters = [d for d in depot_sensors if not has_subtype(d, "door")]
    trackers = of(DeviceFamily.EXPLOSIVES, "transport")
    communities = [s.site_id for s in world.sites if s.kind is SiteKind.COMMUNITY]
    streams: list[EventStream] = [
        plate_stream,
        CrowdCountStream(rng, delays, zone_cameras, world.crowd_zones),
        ThermalStream(rng, delays, thermal, zone_of),
        VideoLossStream(rng, delays, cameras),
        FaceCaptureStream(rng, delays, of(DeviceFamily.FACE_RECOGNITION), reserved.id_numbers),
        IdVerificationStream(rng, delays, of(DeviceFamily.ID_GATE), reserved.id_numbers),
        DepotDoorStream(rng, delays, doors, depot_of),
        InventoryStream(rng, delays, counters, depot_of),
        TransportStream(rng, delays, trackers, world.transport_permits()),
        CampusAccessStream(rng, delays, of(DeviceFamily.SCHOOL, "gate", "campus"), limiter),
        AlarmTestStream(rng, delays, of(DeviceFamily.SCHOOL, "alarm", "button")),
        PersonAccessStream(rng, delays, of(DeviceFamily.COMMUNITY, "person"), communities, limiter),
        VehicleAccessStream(
            rng,
            delays,
            of(DeviceFamily.COMMUNITY, "vehicle"),
            communities,
            limiter,
            fleet,
            permit_plates,
            reserved.plates,
        ),
    ]
    return Background([s for s in streams if s.devices], tuple(cameras))


HEARTBEAT = "camera_heartbeat"


class MixTable:
    """Cumulative weights of the background streams for each local hour, computed once."""

    def __init__(self, streams: Sequence[EventStream], heartbeat_rate: float, rate_per_s: float) -> None:
        self._tables: list[tuple[tuple[EventStream, ...], tuple[float, ...]]] = []
        self._heartbeat_share = min(1.0, heartbeat_rate / rate_per_s)
        for hour in range(24):
            weights = [(s, s.rate_at(hour)) for s in streams]
            active = [(s, w) for s, w in weights if w > 0]
            if not active:
                active = [(s, s.peak_rate()) for s in streams if s.peak_rate() > 0]
            self._tables.append((tuple(s for s, _ in active), tuple(accumulate(w for _, w in active))))

    def table(self, hour: int) -> tuple[tuple[EventStream, ...], tuple[float, ...]]:
        return self._tables[hour]

    def shares(self, hour: int) -> dict[str, float]:
        """Expected share of the messages by event type at ``hour`` (before retries and follow-ups)."""
        streams, cumulative = self._tables[hour]
        rest = 1.0 - self._heartbeat_share
        shares = {HEARTBEAT: self._heartbeat_share} if self._heartbeat_share else {}
        previous = 0.0
        for stream, top in zip(streams, cumulative, strict=True):
            shares[stream.schema] = shares.get(stream.schema, 0.0) + rest * (top - previous) / cumulative[-1]
            previous = top
        return shares
