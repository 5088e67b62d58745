"""Explosives scenarios: a depot door opened after hours, stock that vanishes, a truck leaving its corridor,
a truck standing still on its route for longer than its permit allows.

``depot-after-hours`` needs a depot that is closed at the time it begins. When every depot of the city is
open then (a daytime run), it publishes a revised ``DepotRecord`` for one depot whose windows ended an hour
before: reference data the caller publishes before the traffic, like the watch lists. ``truck-off-route``
uses a permit valid now, or issues one (a new permit id on a city vehicle's route) when none is; so does
``truck-stopped``, whose truck drives along its route, stops halfway (far from the depot and the blasting
site, inside the corridor) for two minutes more than the permit's ``max_stop_minutes``, sending a standing
fix every 10 s as a parked tracker does, and drives on.
"""

from __future__ import annotations

from datetime import timedelta

from pipeline.contracts.alert import Severity
from pipeline.contracts.explosives import DoorAction
from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.contracts.sites import DepotRecord, TransportPermit
from pipeline.simulate.background import Reservations
from pipeline.simulate.explosives import (
    POSITION_EVERY_S,
    door_document,
    inventory_document,
    open_window,
    position_document,
)
from pipeline.simulate.geo import Point, along, distance_km, distance_to_route_km, offset
from pipeline.simulate.identity import card_number
from pipeline.simulate.scenarios.base import GroundTruth, Injection, ScenarioContext, ScenarioError, at
from pipeline.simulate.timing import as_datetime, local_seconds
from pipeline.simulate.world import has_subtype

CLOSED_MARGIN_S = 1800.0  # the after-hours opening is at least 30 minutes outside any window
# Distance from the route, as multiples of the corridor, of each fix: on the road, drifting, then away.
OFF_ROUTE_PROFILE = (0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.4, 0.8, 1.6, 2.4, 3.2, 4.0, 4.8, 5.6, 6.4, 7.2)
# truck-stopped: fixes while driving up to the stop and away from it, how much longer than allowed it
# stands, and how far from the depot, the destination and the route's ends it must stand at least
# (the rule exempts 500 m around them: loading and unloading).
DRIVE_FIXES = 6
OVERSTAY_S = 120.0
STOP_CLEAR_OF_ENDS_KM = 2.0


def _depot_sensor(ctx: ScenarioContext, word: str) -> tuple[DeviceRecord, DepotRecord]:
    sensors = ctx.devices(DeviceFamily.EXPLOSIVES, lambda d: ctx.world.depot_of(d) is not None)
    typed = [d for d in sensors if has_subtype(d, word)] or [d for d in sensors if not d.subtype]
    device = ctx.choose(typed, f"depot {word} sensor")
    depot = ctx.world.depot_of(device)
    assert depot is not None
    return device, depot


def _closed_now(depot: DepotRecord, begin_ts: float) -> DepotRecord:
    """The depot as it is if closed at ``begin_ts``, else with windows that end an hour before it."""
    if not open_window(depot, begin_ts, (-CLOSED_MARGIN_S, -CLOSED_MARGIN_S)):
        return depot
    minutes = int(local_seconds(begin_ts) // 60)
    if minutes >= 8 * 60:  # a day shift that ended an hour ago
        end = (minutes - 60) // 30 * 30
        window = f"06:00-{end // 60:02d}:{end % 60:02d}"
    else:  # before 08:00: the shift starts an hour from now
        begin = (minutes + 90) // 30 * 30
        window = f"{begin // 60:02d}:{begin % 60:02d}-23:00"
    return depot.model_copy(update={"permitted_hours": (window,)})


def depot_after_hours(ctx: ScenarioContext, begin_ts: float) -> Injection:
    name = "depot-after-hours"
    door, depot = _depot_sensor(ctx, "door")
    revised = _closed_now(depot, begin_ts)
    injection = Injection(name, reserved=Reservations(device_ids=frozenset({door.device_id})))
    if revised is not depot:
        injection.depots.append(revised)
    operator = card_number(ctx.rng.getrandbits(32), "BG")
    opening = ctx.document(door.device_id, begin_ts, "depot_door")
    door_document(opening, "store-1", DoorAction.OPEN, operator)
    closing = ctx.document(door.device_id, begin_ts + 240.0, "depot_door")
    door_document(closing, "store-1", DoorAction.CLOSE, None)
    injection.messages += [ctx.send(name, DeviceFamily.EXPLOSIVES, d, door) for d in (opening, closing)]
    event_id = str(opening["event_id"])
    hours = ", ".join(revised.permitted_hours)
    injection.ground_truth.append(
        GroundTruth.of_event(
            scenario=name,
            rule="explosives.depot_after_hours",
            subject=depot.depot_id,
            subject_kind="site_id",
            device_id=door.device_id,
            event_id=event_id,
            event_ts=begin_ts,
            severity=Severity.CRITICAL,
            site_id=depot.depot_id,
            note=f"opened outside {hours}"
            + (" (revised depot record published)" if revised is not depot else ""),
        )
    )
    return injection


def inventory_drop(ctx: ScenarioContext, begin_ts: float) -> Injection:
    name = "inventory-drop"
    sensor, depot = _depot_sensor(ctx, "inventory")
    if not depot.stock:
        raise ScenarioError(f"depot {depot.depot_id} has no stock to lose")
    item, nominal = max(depot.stock.items(), key=lambda kv: kv[1])
    missing = max(1, nominal // 20)
    injection = Injection(name, reserved=Reservations(device_ids=frozenset({sensor.device_id})))
    baseline = ctx.document(sensor.device_id, begin_ts, "depot_inventory")
    inventory_document(baseline, item, nominal, None)
    dropped = ctx.document(sensor.device_id, begin_ts + 300.0, "depot_inventory")
    inventory_document(dropped, item, nominal - missing, None)  # no dispatch explains it
    injection.messages += [ctx.send(name, DeviceFamily.EXPLOSIVES, d, sensor) for d in (baseline, dropped)]
    event_id = str(dropped["event_id"])
    injection.ground_truth.append(
        GroundTruth.of_event(
            scenario=name,
            rule="explosives.inventory_drop",
            subject=depot.depot_id,
            subject_kind="site_id",
            device_id=sensor.device_id,
            event_id=event_id,
            event_ts=begin_ts + 300.0,
            severity=Severity.CRITICAL,
            site_id=depot.depot_id,
            note=f"{item}: {nominal} -> {nominal - missing} without dispatch_id",
        )
    )
    return injection


def _permit_now(ctx: ScenarioContext, begin_ts: float) -> tuple[DeviceRecord, TransportPermit, bool]:
    permits = ctx.world.transport_permits()
    trackers = ctx.devices(DeviceFamily.EXPLOSIVES, lambda d: d.device_id in permits)
    tracker = ctx.choose(trackers, "explosives transport vehicle")
    permit = permits[tracker.device_id]
    when = as_datetime(begin_ts)
    if permit.valid_at(when) and permit.valid_at(when + timedelta(hours=1)):
        return tracker, permit, False
    issued = permit.model_copy(
        update={
            "permit_id": f"{permit.permit_id}-SIM"[:40],
            "valid_from": when - timedelta(hours=1),
            "valid_to": when + timedelta(hours=8),
        }
    )
    return tracker, issued, True


def truck_off_route(ctx: ScenarioContext, begin_ts: float) -> Injection:
    name = "truck-off-route"
    tracker, permit, issued = _permit_now(ctx, begin_ts)
    route = [(p.lat, p.lon) for p in permit.route]
    injection = Injection(name, reserved=Reservations(device_ids=frozenset({tracker.device_id})))
    if issued:
        injection.permits.append(permit)
    corridor_km = permit.corridor_m / 1000.0
    outside: list[tuple[str, float]] = []
    for number, share in enumerate(OFF_ROUTE_PROFILE):
        event_ts = begin_ts + number * POSITION_EVERY_S
        on_road, heading = along(route, 0.2 + 0.002 * number)
        point = offset(on_road, share * corridor_km, heading + 90.0)
        document = ctx.document(tracker.device_id, event_ts, "transport_position")
        position_document(document, permit, point, 42.0, (heading + 60.0) % 360.0 if share > 1 else heading)
        injection.messages.append(ctx.send(name, DeviceFamily.EXPLOSIVES, document, tracker))
        if distance_to_route_km((document["lat"], document["lon"]), route) > corridor_km:
            outside.append((str(document["event_id"]), event_ts))
    if not outside:
        raise ScenarioError(f"permit {permit.permit_id}: the detour never left the corridor")
    injection.ground_truth.append(
        GroundTruth(
            scenario=name,
            rule="explosives.off_corridor",
            subject=permit.plate,
            subject_kind="plate",
            device_ids=(tracker.device_id,),
            evidence_event_ids=tuple(event_id for event_id, _ in outside),
            trigger_event_id=outside[0][0],
            first_event_time=at(outside[0][1]),
            last_event_time=at(outside[-1][1]),
            severity=Severity.CRITICAL,
            site_id=permit.depot_id,
            note=f"permit {permit.permit_id}, corridor {permit.corridor_m:g} m; up to "
            f"{OFF_ROUTE_PROFILE[-1]:g}x away" + (" (permit issued for the run)" if issued else ""),
        )
    )
    return injection


def _stop_point(ctx: ScenarioContext, permit: TransportPermit) -> tuple[Point, float, float]:
    """Where on the route the truck stops (the fraction of the route nearest its middle that is well clear
    of the depot, the destination and the route's ends), and the fraction and heading there."""
    route = [(p.lat, p.lon) for p in permit.route]
    ends = [route[0], route[-1]]
    for site_id in (permit.depot_id, permit.destination_site_id):
        if (site := ctx.world.sites_by_id.get(site_id)) is not None:
            ends.append((site.place.lat, site.place.lon))
    for fraction in (0.5, 0.4, 0.6, 0.3, 0.7):
        point, heading = along(route, fraction)
        if min(distance_km(point, end) for end in ends) >= STOP_CLEAR_OF_ENDS_KM:
            return point, fraction, heading
    raise ScenarioError(f"permit {permit.permit_id}: no point of the route is clear of its depot and site")


def truck_stopped(ctx: ScenarioContext, begin_ts: float) -> Injection:
    name = "truck-stopped"
    tracker, permit, issued = _permit_now(ctx, begin_ts)
    route = [(p.lat, p.lon) for p in permit.route]
    stop_point, fraction, heading = _stop_point(ctx, permit)
    injection = Injection(name, reserved=Reservations(device_ids=frozenset({tracker.device_id})))
    if issued:
        injection.permits.append(permit)
    step = 0.001  # of the route, between two moving fixes (a few tens of metres at most)

    def fix(event_ts: float, point: Point, speed: float) -> tuple[str, float]:
        document = ctx.document(tracker.device_id, event_ts, "transport_position")
        position_document(document, permit, point, speed, heading)
        injection.messages.append(ctx.send(name, DeviceFamily.EXPLOSIVES, document, tracker))
        return str(document["event_id"]), event_ts

    for number in range(DRIVE_FIXES):  # up to the stop
        on_road, _ = along(route, fraction - step * (DRIVE_FIXES - number))
        fix(begin_ts + number * POSITION_EVERY_S, on_road, 42.0)
    since = begin_ts + DRIVE_FIXES * POSITION_EVERY_S
    limit_s = 60.0 * permit.max_stop_minutes
    standing: list[tuple[str, float]] = []
    event_ts = since
    while event_ts <= since + limit_s + OVERSTAY_S:
        jitter = 0.003 * ctx.rng.random()  # a parked receiver wanders by a few metres
        standing.append(fix(event_ts, offset(stop_point, jitter, ctx.rng.uniform(0.0, 360.0)), 0.0))
        event_ts += POSITION_EVERY_S
    for number in range(1, DRIVE_FIXES + 1):  # and on
        on_road, _ = along(route, fraction + step * number)
        fix(event_ts + (number - 1) * POSITION_EVERY_S, on_road, 38.0)
    trigger_id, trigger_ts = next((i, t) for i, t in standing if t - since > limit_s)
    injection.ground_truth.append(
        GroundTruth(
            scenario=name,
            rule="explosives.stopped_too_long",
            subject=permit.plate,
            subject_kind="plate",
            device_ids=(tracker.device_id,),
            evidence_event_ids=(standing[0][0], trigger_id),
            trigger_event_id=trigger_id,
            first_event_time=at(since),
            last_event_time=at(trigger_ts),
            severity=Severity.HIGH,
            site_id=permit.depot_id,
            expected_after=at(since + limit_s),
            note=f"permit {permit.permit_id}: stands {(limit_s + OVERSTAY_S) / 60:g} min at "
            f"{fraction:.0%} of the route (max {permit.max_stop_minutes:g} min), then drives on"
            + (" (permit issued for the run)" if issued else ""),
        )
    )
    return injection
