"""Plate scenarios: a wanted vehicle crossing the checkpoint rings, and a cloned plate.

``wanted-plate-rings`` drives a watch-listed plate in from the city ring through a banner ring to the core
ring, at the nearest such checkpoints and at 120 km/h between them: fast enough to be "within minutes",
slow enough never to look cloned. ``cloned-plate`` shows one plate at two checkpoints 50+ km apart four
minutes after each other (750+ km/h). Both plates come from outside the background fleet.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.contracts.alert import Severity
from pipeline.contracts.plate_read import Direction, PlateColour, VehicleClass
from pipeline.contracts.reference import DeviceFamily, DeviceRecord, PlateWatchEntry
from pipeline.simulate.background import Reservations
from pipeline.simulate.checkpoints import plate_read_document, road_of
from pipeline.simulate.fleet import outside_plate
from pipeline.simulate.geo import Point, distance_km
from pipeline.simulate.scenarios.base import (
    GroundTruth,
    Injection,
    ScenarioContext,
    ScenarioError,
    ScheduledMessage,
    at,
)

RING_ORDER = ("city", "banner", "core")  # from outside in
RING_SPEED_KMH = 120.0  # the expressway limit; plate.cloned should look for 200+ km/h
CLONE_MIN_KM = 50.0
CLONE_GAP_S = 240.0


def _where(device: DeviceRecord) -> Point:
    return device.place.lat, device.place.lon


def ring_path(ctx: ScenarioContext) -> list[DeviceRecord]:
    """The shortest city -> banner -> core path through checkpoints of those rings (rings it lacks are
    skipped; at least two are needed)."""
    checkpoints = ctx.devices(DeviceFamily.VEHICLE_CHECKPOINT)
    by_ring = {ring: [d for d in checkpoints if d.ring == ring] for ring in RING_ORDER}
    rings = [ring for ring in RING_ORDER if by_ring[ring]]
    if len(rings) < 2:
        raise ScenarioError("wanted-plate-rings needs checkpoints on at least two rings")
    middle = by_ring[rings[1]]
    if len(middle) > 300:  # the nearest pairs are found well enough among a sample
        middle = ctx.rng.sample(middle, 300)
    best: tuple[float, list[DeviceRecord]] | None = None
    for hub in middle:
        path, total = [hub], 0.0
        for ring in (rings[0], *rings[2:]):
            nearest = min(by_ring[ring], key=lambda d: distance_km(_where(d), _where(hub)))
            total += distance_km(_where(nearest), _where(hub))
            path.append(nearest)
        if best is None or total < best[0]:
            best = (total, [path[1], path[0], *path[2:]])
    assert best is not None
    return best[1]


def _read(
    ctx: ScenarioContext, scenario: str, device: DeviceRecord, event_ts: float, plate: str
) -> tuple[ScheduledMessage, str]:
    document = ctx.document(device.device_id, event_ts, "plate_read")
    plate_read_document(ctx.rng, document, plate, PlateColour.BLUE, VehicleClass.SUV, road_of(device))
    document["direction"] = Direction.INBOUND.value
    document["confidence"] = 0.97  # a clean read: the point is the plate, not the camera
    return ctx.send(scenario, DeviceFamily.VEHICLE_CHECKPOINT, document, device), str(document["event_id"])


def wanted_plate_rings(ctx: ScenarioContext, begin_ts: float) -> Injection:
    name = "wanted-plate-rings"
    plate = outside_plate(ctx.rng)
    injection = Injection(name, reserved=Reservations(plates=frozenset({plate})))
    injection.plate_watch.append(
        PlateWatchEntry(
            plate=plate, category="wanted", reason=f"simulated ({name}): robbery suspect", priority=2
        )
    )
    event_ts, previous = begin_ts, None
    for device in ring_path(ctx):
        if previous is not None:
            event_ts += max(60.0, 3600.0 * distance_km(_where(previous), _where(device)) / RING_SPEED_KMH)
        scheduled, event_id = _read(ctx, name, device, event_ts, plate)
        injection.messages.append(scheduled)
        injection.ground_truth.append(
            GroundTruth.of_event(
                scenario=name,
                rule="watchlist.plate",
                subject=plate,
                subject_kind="plate",
                device_id=device.device_id,
                event_id=event_id,
                event_ts=event_ts,
                severity=Severity.CRITICAL,  # priority 2, one step up at a ring
                note=f"read at the {device.ring} ring; one alert per read",
            )
        )
        previous = device
    return injection


def far_pair(ctx: ScenarioContext, checkpoints: Sequence[DeviceRecord]) -> tuple[DeviceRecord, DeviceRecord]:
    for _ in range(50):
        first = checkpoints[int(ctx.rng.random() * len(checkpoints))]
        second = max(checkpoints, key=lambda d: distance_km(_where(d), _where(first)))
        if distance_km(_where(first), _where(second)) >= CLONE_MIN_KM:
            return first, second
    raise ScenarioError(f"cloned-plate needs two checkpoints at least {CLONE_MIN_KM:g} km apart")


def cloned_plate(ctx: ScenarioContext, begin_ts: float) -> Injection:
    name = "cloned-plate"
    plate = outside_plate(ctx.rng)
    first, second = far_pair(ctx, ctx.devices(DeviceFamily.VEHICLE_CHECKPOINT))
    injection = Injection(name, reserved=Reservations(plates=frozenset({plate})))
    ids = []
    for device, event_ts in ((first, begin_ts), (second, begin_ts + CLONE_GAP_S)):
        scheduled, event_id = _read(ctx, name, device, event_ts, plate)
        injection.messages.append(scheduled)
        ids.append(event_id)
    km = distance_km(_where(first), _where(second))
    injection.ground_truth.append(
        GroundTruth(
            scenario=name,
            rule="plate.cloned",
            subject=plate,
            subject_kind="plate",
            device_ids=(first.device_id, second.device_id),
            evidence_event_ids=tuple(ids),
            trigger_event_id=ids[1],
            first_event_time=at(begin_ts),
            last_event_time=at(begin_ts + CLONE_GAP_S),
            severity=Severity.HIGH,
            note=f"{km:.0f} km in {CLONE_GAP_S / 60:g} min ({km / CLONE_GAP_S * 3600:.0f} km/h)",
        )
    )
    return injection
