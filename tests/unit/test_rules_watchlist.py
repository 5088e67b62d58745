"""watchlist.plate (with ring control), watchlist.person and watchlist.face."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipeline.contracts.alert import Severity
from pipeline.contracts.id_gate import DenyReason
from pipeline.rules.base import SubjectKind
from pipeline.rules.settings import RuleSettings
from pipeline.rules.watchlist_face import FaceWatchRule
from pipeline.rules.watchlist_person import PersonWatchRule
from pipeline.rules.watchlist_plate import PlateWatchRule
from tests.unit.rule_factories import (
    T0,
    Table,
    at,
    campus_access,
    depot_door,
    face_capture,
    heartbeat,
    id_check,
    person_access,
    person_entry,
    plate_entry,
    plate_read,
    refs,
    token,
    vehicle_access,
)

WANTED = "蒙K8AOB8"


def plate_table(*entries: object, settings: RuleSettings | None = None) -> Table:
    return Table(
        PlateWatchRule(settings or RuleSettings()), refs(plate_watchlist=entries or [plate_entry(WANTED)])
    )


@pytest.mark.parametrize(
    ("priority", "ring", "expected"),
    [(1, None, Severity.CRITICAL), (2, None, Severity.HIGH), (2, "city", Severity.CRITICAL),
     (3, "core", Severity.HIGH), (4, None, Severity.LOW), (1, "banner", Severity.CRITICAL)],
)  # fmt: skip
def test_exact_read_fires_with_priority_and_ring(priority: int, ring: str | None, expected: Severity) -> None:
    table = plate_table(plate_entry(WANTED, priority=priority))
    (found,) = table.feed(plate_read(WANTED, ring=ring))
    assert (found.rule, found.subject, found.subject_kind) == ("watchlist.plate", WANTED, SubjectKind.PLATE)
    assert found.severity is expected
    assert found.confidence == pytest.approx(0.97)


@pytest.mark.parametrize("read", ["蒙K8A0B8", "蒙K8ADB8", "蒙K8A088", "蒙K8AO8B"])
def test_look_alike_read_fires_one_step_lower_naming_the_listed_plate(read: str) -> None:
    table = plate_table(plate_entry(WANTED, priority=2))
    (found,) = table.feed(plate_read(read, ring="city"))
    assert found.subject == WANTED and found.severity is Severity.HIGH  # up for the ring, down for the look
    assert f"read as {read}" in found.summary
    assert found.confidence < 0.97


@pytest.mark.parametrize("read", ["蒙K8A0B9", "蒙B8A0B8", "蒙K8A0B"])
def test_other_plates_do_not_fire_and_leave_no_state(read: str) -> None:
    table = plate_table()
    assert table.feed(plate_read(read)) == []
    assert table.states == {}


def test_expired_entry_does_not_fire() -> None:
    table = plate_table(plate_entry(WANTED, expires_at=T0))
    assert table.feed(plate_read(WANTED, when=T0)) == []
    assert len(table.feed(plate_read(WANTED, when=T0 - timedelta(seconds=1)))) == 1


def test_community_barrier_reads_count_too() -> None:
    (found,) = plate_table().feed(vehicle_access(WANTED))
    assert found.device_id == "CM-KB-01-VB1" and found.site_id == "CM-KB-01"


def test_each_read_is_a_detection_carrying_the_trajectory_so_far() -> None:
    table = plate_table()
    rings = [("KK-1", "city"), ("KK-2", "banner"), ("KK-3", "core")]
    found = [
        table.feed(plate_read(WANTED, at(minutes=5 * n), device_id=d, ring=r))[0]
        for n, (d, r) in enumerate(rings)
    ]
    assert [len(d.trajectory) for d in found] == [1, 2, 3]
    assert [(s.device_id, s.ring) for s in found[-1].trajectory] == rings
    assert "KK-1 (city ring) 02:00 → KK-2 (banner ring) 02:05 → KK-3 (core ring) 02:10" in found[-1].summary
    assert found[-1].evidence_event_ids == (found[-1].trajectory[-1].event_id,)  # evidence: this read only


def test_look_alike_reads_share_one_trajectory() -> None:
    table = plate_table()
    table.feed(plate_read(WANTED, at(0)), plate_read("蒙K8A0B8", at(60)))
    assert len(table.states) == 1
    assert len(table.detections[-1].trajectory) == 2


def test_replayed_read_fires_again_without_growing_the_trajectory() -> None:
    table = plate_table()
    read = plate_read(WANTED)
    table.feed(read, read)
    assert len(table.detections) == 2
    assert len(table.detections[-1].trajectory) == 1


def test_trajectory_is_capped_and_expires() -> None:
    settings = RuleSettings(trajectory_max=5, trajectory_window=timedelta(hours=1))
    table = plate_table(settings=settings)
    for n in range(12):
        table.feed(plate_read(WANTED, at(minutes=n), device_id=f"KK-{n:02d}"))
    (state,) = table.states.values()
    assert len(state.sightings) == 5 and state.sightings[-1].device_id == "KK-11"
    rule = table.rule
    assert rule.due(state) == at(minutes=7) + timedelta(hours=1)
    table.tick(at(minutes=7) + timedelta(hours=1, seconds=1))
    assert len(table.states[next(iter(table.states))].sightings) == 4
    table.tick(at(minutes=12) + timedelta(hours=1))
    assert table.states == {}


def test_removed_entry_stops_matching_at_once() -> None:
    watch = {WANTED: plate_entry(WANTED)}
    table = Table(PlateWatchRule(), refs())
    table.refs = refs(plate_watchlist=watch.values())
    assert len(table.feed(plate_read(WANTED))) == 1
    table.refs = refs()
    assert table.feed(plate_read(WANTED, at(60))) == []


# watchlist.person --------------------------------------------------------------------------------------


WATCHED = token(1)


def person_table(priority: int = 1) -> Table:
    return Table(PersonWatchRule(), refs(person_watchlist=[person_entry(WATCHED, priority=priority)]))


@pytest.mark.parametrize(
    ("event", "confidence"),
    [(id_check(WATCHED, similarity=0.91), 0.91), (id_check(WATCHED, deny=DenyReason.WATCHLIST), 0.9),
     (person_access(True, holder=WATCHED), 0.7), (campus_access(True, holder=WATCHED), 0.7),
     (depot_door(operator=WATCHED), 0.7)],
)  # fmt: skip
def test_watched_token_fires_wherever_people_identify(event: object, confidence: float) -> None:
    (found,) = person_table().feed(event)
    assert (found.rule, found.subject, found.severity) == ("watchlist.person", WATCHED, Severity.CRITICAL)
    assert found.confidence == pytest.approx(confidence)


@pytest.mark.parametrize("priority", [2, 3, 4])
def test_person_severity_follows_priority(priority: int) -> None:
    (found,) = person_table(priority).feed(id_check(WATCHED))
    assert found.severity.rank == priority - 1


def test_person_rule_ignores_other_people_and_face_candidates() -> None:
    table = person_table()
    assert table.feed(id_check(token(5)), person_access(True, holder=token(6)), campus_access(True)) == []
    assert table.feed(face_capture(WATCHED, 0.99), heartbeat()) == []  # watchlist.face judges faces
    assert table.states == {}  # stateless


def test_expired_person_entry_does_not_fire() -> None:
    table = Table(PersonWatchRule(), refs(person_watchlist=[person_entry(WATCHED, expires_at=T0)]))
    assert table.feed(id_check(WATCHED, when=T0)) == []


# watchlist.face ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("similarity", "fires"), [(0.94, True), (0.9, True), (0.8999, False), (0.5, False)])
def test_face_fires_at_the_threshold_and_above(similarity: float, fires: bool) -> None:
    table = Table(FaceWatchRule(), refs(person_watchlist=[person_entry(WATCHED)]))
    found = table.feed(face_capture(WATCHED, similarity))
    assert bool(found) is fires
    if fires:
        assert found[0].subject == WATCHED and found[0].confidence == similarity
        assert found[0].severity is Severity.CRITICAL


def test_face_threshold_is_a_setting() -> None:
    table = Table(
        FaceWatchRule(RuleSettings(face_similarity_min=0.95)), refs(person_watchlist=[person_entry(WATCHED)])
    )
    assert table.feed(face_capture(WATCHED, 0.94)) == []


def test_face_without_candidate_or_unwatched_candidate_does_not_fire() -> None:
    table = Table(FaceWatchRule(), refs(person_watchlist=[person_entry(WATCHED)]))
    assert (
        table.feed(face_capture(None, None), face_capture(token(3), 0.99), face_capture(WATCHED, None)) == []
    )
