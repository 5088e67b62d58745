"""Person scenarios: a wanted person leaving a station, and someone using another person's ID card.

People here are reserved identities (``identity.reserved_person``): no background person has their ID
number. The ground truth and the person watch list name them by token only (``ScenarioContext.token``).
"""

from __future__ import annotations

from pipeline.contracts.alert import Severity
from pipeline.contracts.id_gate import DenyReason
from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.contracts.sites import PersonWatchEntry
from pipeline.simulate.background import Reservations
from pipeline.simulate.geo import distance_km
from pipeline.simulate.identity import face_template_id, reserved_person
from pipeline.simulate.persons import face_capture_document, id_verification_document
from pipeline.simulate.scenarios.base import GroundTruth, Injection, ScenarioContext, ScenarioError
from pipeline.simulate.world import STATION_EXIT_KINDS, has_subtype

FACE_AFTER_GATE_S = 15.0  # the camera outside the exit sees the face shortly after the ID read
WATCHED_SIMILARITY = 0.94
IMPOSTOR_SIMILARITY = 0.38


def _exit_gates(ctx: ScenarioContext) -> list[DeviceRecord]:
    gates = ctx.devices(DeviceFamily.ID_GATE)
    exits = [g for g in gates if ctx.world.site_kind(g) in STATION_EXIT_KINDS or has_subtype(g, "exit")]
    if not exits:
        raise ScenarioError(
            "the registry has no station exit gate (ID gate at a rail/bus station or airport)"
        )
    return exits


def _face_system_near(ctx: ScenarioContext, gate: DeviceRecord) -> DeviceRecord:
    systems = ctx.devices(DeviceFamily.FACE_RECOGNITION)
    if not systems:
        raise ScenarioError("the registry has no face-recognition system")
    same_site = [s for s in systems if gate.site_id and s.site_id == gate.site_id]
    here = (gate.place.lat, gate.place.lon)
    return (
        same_site[0]
        if same_site
        else min(systems, key=lambda s: distance_km((s.place.lat, s.place.lon), here))
    )


def wanted_person_station(ctx: ScenarioContext, begin_ts: float) -> Injection:
    name = "wanted-person-station"
    wanted = reserved_person(ctx.rng.getrandbits(48))
    token = ctx.token(wanted.id_number)
    gate = ctx.choose(_exit_gates(ctx), "station exit gate")
    camera = _face_system_near(ctx, gate)
    injection = Injection(name, reserved=Reservations(id_numbers=frozenset({wanted.id_number})))
    injection.person_watch.append(
        PersonWatchEntry(subject_token=token, category="fugitive", reason=f"simulated ({name})", priority=1)
    )
    read = ctx.document(gate.device_id, begin_ts, "id_verification")
    id_verification_document(read, wanted, 0.91, None)  # the gate itself lets them through
    face_ts = begin_ts + FACE_AFTER_GATE_S
    face = ctx.document(camera.device_id, face_ts, "face_capture")
    capture_id = f"{ctx.rng.getrandbits(48):012x}"
    template = face_template_id(ctx.rng.getrandbits(63))
    face_capture_document(face, capture_id, template, wanted.id_number, WATCHED_SIMILARITY, 0.88)
    injection.messages += [
        ctx.send(name, DeviceFamily.ID_GATE, read, gate),
        ctx.send(name, DeviceFamily.FACE_RECOGNITION, face, camera),
    ]
    for rule, device, document, event_ts, note in (
        ("watchlist.person", gate, read, begin_ts, "ID read at a station exit; the gate let them pass"),
        (
            "watchlist.face",
            camera,
            face,
            face_ts,
            f"candidate similarity {WATCHED_SIMILARITY}, near the gate",
        ),
    ):
        event_id = str(document["event_id"])
        injection.ground_truth.append(
            GroundTruth.of_event(
                scenario=name,
                rule=rule,
                subject=token,
                subject_kind="person_token",
                device_id=device.device_id,
                event_id=event_id,
                event_ts=event_ts,
                severity=Severity.CRITICAL,  # watch-list priority 1
                site_id=device.site_id,
                note=note,
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
