"""id_gate.face_mismatch, id_gate.repeated_denials and access.repeated_denials."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipeline.contracts.alert import Severity
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.id_gate import DenyReason
from pipeline.rules.access_denials import AccessDenialsRule
from pipeline.rules.base import SubjectKind
from pipeline.rules.bursts import MAX_ATTEMPTS
from pipeline.rules.id_gate_denials import IdGateDenialsRule
from pipeline.rules.id_gate_mismatch import FaceMismatchRule
from pipeline.rules.settings import RuleSettings
from tests.unit.rule_factories import Table, at, campus_access, id_check, person_access, token, vehicle_access

# id_gate.face_mismatch ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("similarity", "deny", "fires"),
    [(0.38, DenyReason.FACE_MISMATCH, True), (0.59, None, True), (0.6, DenyReason.FACE_MISMATCH, False),
     (0.65, DenyReason.FACE_MISMATCH, False), (0.9, None, False)],
)  # fmt: skip
def test_face_mismatch_below_the_threshold_only(
    similarity: float, deny: DenyReason | None, fires: bool
) -> None:
    found = Table(FaceMismatchRule()).feed(id_check(token(1), similarity, deny))
    assert bool(found) is fires
    if fires:
        assert (found[0].subject, found[0].subject_kind, found[0].severity) == (
            token(1),
            SubjectKind.PERSON_TOKEN,
            Severity.HIGH,
        )
        assert ("denied" if deny else "let through") in found[0].summary


def test_face_mismatch_threshold_is_a_setting() -> None:
    assert Table(FaceMismatchRule(RuleSettings(id_face_mismatch_below=0.7))).feed(id_check(similarity=0.65))


# id_gate.repeated_denials ------------------------------------------------------------------------------


def denied(seconds: float, person: int = 1, gate: str = "IDG-RS-KB-01-01") -> EnrichedEvent:
    return id_check(token(person), 0.65, DenyReason.ID_EXPIRED, at(seconds), device_id=gate)


@pytest.mark.parametrize(
    ("times", "fires"),
    [([0, 60, 120], True), ([0, 300, 600], True), ([0, 300, 601], False), ([0, 60], False),
     ([0, 700, 1400], False)],
)  # fmt: skip
def test_three_denials_of_one_person_within_ten_minutes(times: list[float], fires: bool) -> None:
    found = Table(IdGateDenialsRule()).feed(*(denied(t) for t in times))
    assert bool(found) is fires
    if fires:
        assert found[0].subject == token(1) and found[0].severity is Severity.MEDIUM
        assert len(found[0].evidence_event_ids) == 3


def test_denials_at_different_gates_add_up_but_people_do_not_mix() -> None:
    table = Table(IdGateDenialsRule())
    assert table.feed(denied(0, gate="IDG-A"), denied(30, gate="IDG-B"), denied(60, person=2)) == []
    assert len(table.feed(denied(90, gate="IDG-C"))) == 1


def test_passes_do_not_count() -> None:
    table = Table(IdGateDenialsRule())
    table.feed(*(id_check(token(1), 0.9, None, at(n)) for n in range(10)))
    assert table.detections == [] and table.states == {}


# access.repeated_denials -------------------------------------------------------------------------------


def gate_denials(times: list[float], device_id: str = "CM-KB-01-PG1") -> list[EnrichedEvent]:
    return [
        person_access(False, at(t), device_id=device_id, holder=token(100 + n)) for n, t in enumerate(times)
    ]


@pytest.mark.parametrize(
    ("times", "fires"),
    [([0, 35, 70, 105, 140], True), ([0, 35, 70, 105], False), ([0, 100, 200, 250, 300], True),
     ([0, 100, 200, 250, 301], False), ([0, 1000, 1001, 1002, 1003], False)],
)  # fmt: skip
def test_five_denials_at_one_gate_within_five_minutes(times: list[float], fires: bool) -> None:
    found = Table(AccessDenialsRule()).feed(*gate_denials(times))
    assert bool(found) is fires
    if fires:
        assert (found[0].subject, found[0].subject_kind) == ("CM-KB-01-PG1", SubjectKind.DEVICE_ID)
        assert found[0].severity is Severity.MEDIUM and len(found[0].evidence_event_ids) == 5


def test_the_scenario_six_denials_then_a_pass_make_one_detection_at_the_fifth() -> None:
    events = gate_denials([35.0 * n for n in range(6)])
    table = Table(AccessDenialsRule())
    found = [table.feed(e) for e in events]
    assert [len(f) for f in found] == [0, 0, 0, 0, 1, 0]
    assert table.feed(person_access(True, at(6 * 35))) == []


def test_a_new_burst_after_a_quiet_window_fires_again() -> None:
    table = Table(AccessDenialsRule())
    table.feed(*gate_denials([0, 10, 20, 30, 40, 50]))
    table.feed(*gate_denials([50 + 301 + n for n in range(5)]))
    assert len(table.detections) == 2


def test_gates_do_not_mix_and_kinds_of_access_all_count() -> None:
    table = Table(AccessDenialsRule())
    table.feed(*gate_denials([0, 10, 20, 30], device_id="CM-KB-01-PG2"))
    assert table.feed(vehicle_access(granted=False, when=at(40))) == []
    barrier = [vehicle_access(granted=False, when=at(t)) for t in (0, 10, 20, 30)]
    assert table.feed(*barrier)  # with the one above: five at the barrier
    campus = [campus_access(False, at(t)) for t in range(5)]
    assert len(table.feed(*campus)) == 1


def test_late_denials_are_placed_by_event_time() -> None:
    table = Table(AccessDenialsRule())
    events = gate_denials([0, 35, 70, 105, 140])
    assert table.feed(events[4], events[0], events[2], events[1]) == []
    assert len(table.feed(events[3])) == 1


def test_replayed_denials_are_not_counted_twice() -> None:
    table = Table(AccessDenialsRule())
    (event,) = gate_denials([0])
    assert table.feed(*([event] * 6)) == []


def test_burst_state_is_bounded_and_forgotten() -> None:
    table = Table(AccessDenialsRule())
    table.feed(*gate_denials([float(n) for n in range(100)]))
    (state,) = table.states.values()
    assert len(state.attempts) == MAX_ATTEMPTS
    assert len(table.detections) == 1
    rule = table.rule
    due = rule.due(state)
    assert due is not None
    table.tick(due - timedelta(seconds=1))
    assert table.states
    table.tick(due + timedelta(seconds=1))
    assert table.states == {}
