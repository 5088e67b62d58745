"""Person scenarios: wanted people leaving a station, someone using another person's ID card, and someone
refused at the exit gates again and again.

``wanted-person-station`` and ``wanted-person-corroborated`` differ in where the face is seen: in town,
away from the station (two hits at two places: no incident), or by the exit hall's own face system at the
station (an ID gate and a face system at one site: one ``corroboration.incident``). People here are
reserved identities (``identity.reserved_person``): no background person has their ID number. The ground
truth and the person watch list name them by token only (``ScenarioContext.token``).
"""

from __future__ import annotations

from collections import defaultdict

from pipeline.contracts.alert import Severity
from pipeline.contracts.id_gate import DenyReason
from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.contracts.sites import PersonWatchEntry
from pipeline.rules.settings import RuleSettings
from pipeline.simulate.background import Reservations
from pipeline.simulate.geo import distance_km
from pipeline.simulate.identity import Person, face_template_id, reserved_person
from pipeline.simulate.persons import face_capture_document, id_verification_document
from pipeline.simulate.scenarios.base import (
    GroundTruth,
    Injection,
    ScenarioContext,
    ScenarioError,
    ScheduledMessage,
    span,
)
from pipeline.simulate.world import STATION_EXIT_KINDS, has_subtype

FACE_AFTER_GATE_S = 15.0  # the exit hall's face system sees the face shortly after the ID read
# A taxi ride later (at least three minutes, at 60 km/h), a street face system in town sees it.
FACE_IN_TOWN_MIN_S, TAXI_KMH = 180.0, 60.0
# The street system is at least this far from the gate: twice the radius within which hits are 'one place'.
AWAY_FROM_GATE_KM = 2 * RuleSettings().corroboration_radius_m / 1000.0
WATCHED_SIMILARITY = 0.94
IMPOSTOR_SIMILARITY = 0.38
# id-gate-denials: an expired card tried at the exit gates, lane after lane; the third denial triggers.
DENIAL_TIMES_S = (0.0, 70.0, 150.0, 260.0)
DENIAL_TRIGGER_AT = 3


def _exit_gates(ctx: ScenarioContext) -> list[DeviceRecord]:
    gates = ctx.devices(DeviceFamily.ID_GATE)
    exits = [g for g in gates if ctx.world.site_kind(g) in STATION_EXIT_KINDS or has_subtype(g, "exit")]
    if not exits:
        raise ScenarioError(
            "the registry has no station exit gate (ID gate at a rail/bus station or airport)"
        )
    return exits


def _exit_and_street_face_system(ctx: ScenarioContext) -> tuple[DeviceRecord, DeviceRecord, float]:
    """The free station exit gate and face system in town (no site) nearest each other that are clearly
    not at one place, and their distance in km."""
    systems = ctx.devices(DeviceFamily.FACE_RECOGNITION, lambda s: s.site_id is None and ctx.is_free(s))
    best: tuple[float, DeviceRecord, DeviceRecord] | None = None
    for gate in (g for g in _exit_gates(ctx) if ctx.is_free(g)):
        here = (gate.place.lat, gate.place.lon)
        for system in systems:
            km = distance_km((system.place.lat, system.place.lon), here)
            if km >= AWAY_FROM_GATE_KM and (best is None or km < best[0]):
                best = (km, gate, system)
    if best is None:
        raise ScenarioError(
            f"the registry has no face-recognition system in town at least {AWAY_FROM_GATE_KM:g} km "
            "from a free station exit gate"
        )
    km, gate, system = best
    gate = ctx.choose([gate], "station exit gate")
    return gate, ctx.choose([system], "face system in town"), km


def _exit_with_face_system(ctx: ScenarioContext) -> tuple[DeviceRecord, DeviceRecord]:
    """A free station exit gate and a face system of the same site."""
    faces_at: dict[str, list[DeviceRecord]] = defaultdict(list)
    for system in ctx.devices(DeviceFamily.FACE_RECOGNITION, lambda s: s.site_id is not None):
        faces_at[str(system.site_id)].append(system)
    gates = [g for g in _exit_gates(ctx) if g.site_id in faces_at]
    if not gates:
        raise ScenarioError("the registry has no station exit with both an ID gate and a face system")
    gate = ctx.choose(gates, "station exit gate with a face system at its site")
    return gate, ctx.choose(faces_at[str(gate.site_id)], f"face system at {gate.site_id}")


def _watched_person(ctx: ScenarioContext, name: str, priority: int) -> tuple[Person, str, Injection]:
    wanted = reserved_person(ctx.rng.getrandbits(48))
    token = ctx.token(wanted.id_number)
    injection = Injection(name, reserved=Reservations(id_numbers=frozenset({wanted.id_number})))
    injection.person_watch.append(
        PersonWatchEntry(
            subject_token=token, category="fugitive", reason=f"simulated ({name})", priority=priority
        )
    )
    return wanted, token, injection


def _gate_then_face(
    ctx: ScenarioContext,
    injection: Injection,
    wanted: Person,
    token: str,
    severity: Severity,
    seen: tuple[tuple[DeviceRecord, float, str], tuple[DeviceRecord, float, str]],
) -> tuple[ScheduledMessage, ScheduledMessage]:
    """The person's ID read at a gate (let through), then their face at a face system: the messages, and
    one ``watchlist.person`` and one ``watchlist.face`` line of ground truth."""
    (gate, gate_ts, gate_note), (camera, face_ts, face_note) = seen
    name = injection.scenario
    read = ctx.document(gate.device_id, gate_ts, "id_verification")
    id_verification_document(read, wanted, 0.91, None)  # the gate itself lets them through
    face = ctx.document(camera.device_id, face_ts, "face_capture")
    capture_id = f"{ctx.rng.getrandbits(48):012x}"
    template = face_template_id(ctx.rng.getrandbits(63))
    face_capture_document(face, capture_id, template, wanted.id_number, WATCHED_SIMILARITY, 0.88)
    sent = (
        ctx.send(name, DeviceFamily.ID_GATE, read, gate),
        ctx.send(name, DeviceFamily.FACE_RECOGNITION, face, camera),
    )
    injection.messages += sent
    for rule, device, document, event_ts, note in (
        ("watchlist.person", gate, read, gate_ts, gate_note),
        ("watchlist.face", camera, face, face_ts, face_note),
    ):
        injection.ground_truth.append(
            GroundTruth.of_event(
                scenario=name,
                rule=rule,
                subject=token,
                subject_kind="person_token",
                device_id=device.device_id,
                event_id=str(document["event_id"]),
                event_ts=event_ts,
                severity=severity,
                site_id=device.site_id,
                note=note,
            )
        )
    return sent


def wanted_person_station(ctx: ScenarioContext, begin_ts: float) -> Injection:
    name = "wanted-person-station"
    wanted, token, injection = _watched_person(ctx, name, priority=1)
    gate, camera, km = _exit_and_street_face_system(ctx)
    ride_s = max(FACE_IN_TOWN_MIN_S, 3600.0 * km / TAXI_KMH)
    within = ride_s <= RuleSettings().corroboration_window.total_seconds()
    _gate_then_face(
        ctx,
        injection,
        wanted,
        token,
        Severity.CRITICAL,  # watch-list priority 1
        (
            (gate, begin_ts, "ID read at a station exit; the gate let them pass"),
            (
                camera,
                begin_ts + ride_s,
                f"candidate similarity {WATCHED_SIMILARITY}, in town {km:.1f} km from the station, "
                f"{ride_s / 60:.0f} min later ({'within' if within else 'after'} the corroboration "
                "window): another place, so no incident",
            ),
        ),
    )
    return injection


def wanted_person_corroborated(ctx: ScenarioContext, begin_ts: float) -> Injection:
    name = "wanted-person-corroborated"
    wanted, token, injection = _watched_person(ctx, name, priority=2)
    gate, camera = _exit_with_face_system(ctx)
    face_ts = begin_ts + FACE_AFTER_GATE_S
    read, face = _gate_then_face(
        ctx,
        injection,
        wanted,
        token,
        Severity.HIGH,  # watch-list priority 2
        (
            (gate, begin_ts, f"ID read at the exit of {gate.site_id}; the gate let them pass"),
            (camera, face_ts, f"candidate similarity {WATCHED_SIMILARITY}, the exit hall's face system"),
        ),
    )
    first, last = span((read, face))
    injection.ground_truth.append(
        GroundTruth(
            scenario=name,
            rule="corroboration.incident",
            subject=token,
            subject_kind="person_token",
            device_ids=(gate.device_id, camera.device_id),
            evidence_event_ids=(str(read.message.event_id), str(face.message.event_id)),
            trigger_event_id=str(face.message.event_id),
            first_event_time=first,
            last_event_time=last,
            severity=Severity.CRITICAL,  # the hits' high, one step up
            site_id=gate.site_id,
            note=f"ID gate + face system at {gate.site_id} {FACE_AFTER_GATE_S:g} s apart; one incident",
        )
    )
    return injection


def id_face_mismatch(ctx: ScenarioContext, begin_ts: float) -> Injection:
    name = "id-face-mismatch"
    holder = reserved_person(ctx.rng.getrandbits(48))  # the card's owner; someone else shows their face
    token = ctx.token(holder.id_number)
    gates = ctx.devices(DeviceFamily.ID_GATE)
    if not gates:
        raise ScenarioError("the registry has no ID gate")
    gate = ctx.choose(gates, "ID gate")
    document = ctx.document(gate.device_id, begin_ts, "id_verification")
    id_verification_document(document, holder, IMPOSTOR_SIMILARITY, DenyReason.FACE_MISMATCH)
    injection = Injection(name, reserved=Reservations(id_numbers=frozenset({holder.id_number})))
    injection.messages.append(ctx.send(name, DeviceFamily.ID_GATE, document, gate))
    event_id = str(document["event_id"])
    injection.ground_truth.append(
        GroundTruth.of_event(
            scenario=name,
            rule="id_gate.face_mismatch",
            subject=token,
            subject_kind="person_token",
            device_id=gate.device_id,
            event_id=event_id,
            event_ts=begin_ts,
            severity=Severity.HIGH,
            site_id=gate.site_id,
            note=f"face similarity {IMPOSTOR_SIMILARITY} against the card's photo, denied face_mismatch",
        )
    )
    return injection


def id_gate_denials(ctx: ScenarioContext, begin_ts: float) -> Injection:
    name = "id-gate-denials"
    holder = reserved_person(ctx.rng.getrandbits(48))  # their card expired; they try lane after lane
    token = ctx.token(holder.id_number)
    by_site: dict[str, list[DeviceRecord]] = defaultdict(list)
    for gate in _exit_gates(ctx):
        if ctx.is_free(gate):
            by_site[str(gate.site_id)].append(gate)
    if not by_site:
        raise ScenarioError("the registry has no station exit gate left for this scenario")
    lanes = max(min(2, len(gates)) for gates in by_site.values())  # two lanes if a site has them
    sites = [site for site in sorted(by_site) if len(by_site[site]) >= lanes]
    site_id = sites[int(ctx.rng.random() * len(sites))]
    first = ctx.choose(by_site[site_id], "station exit gate")
    others = [g for g in by_site[site_id] if g.device_id != first.device_id]
    second = ctx.choose(others, "second exit gate") if others else first
    injection = Injection(name, reserved=Reservations(id_numbers=frozenset({holder.id_number})))
    denied = []
    for number, offset_s in enumerate(DENIAL_TIMES_S):
        gate = (first, second)[number % 2]
        document = ctx.document(gate.device_id, begin_ts + offset_s, "id_verification")
        id_verification_document(document, holder, 0.9, DenyReason.ID_EXPIRED)  # their own face: no mismatch
        denied.append(ctx.send(name, DeviceFamily.ID_GATE, document, gate))
    injection.messages += denied
    start, end = span(denied)
    ids = tuple(str(m.message.event_id) for m in denied)
    injection.ground_truth.append(
        GroundTruth(
            scenario=name,
            rule="id_gate.repeated_denials",
            subject=token,
            subject_kind="person_token",
            device_ids=tuple(sorted({first.device_id, second.device_id})),
            evidence_event_ids=ids,
            trigger_event_id=ids[DENIAL_TRIGGER_AT - 1],
            first_event_time=start,
            last_event_time=end,
            severity=Severity.MEDIUM,
            site_id=first.site_id,
            note=f"{len(ids)} id_expired denials at {site_id} within {DENIAL_TIMES_S[-1] / 60:.1f} min; "
            f"denial {DENIAL_TRIGGER_AT} triggers, the later ones join the burst; one alert",
        )
    )
    return injection
