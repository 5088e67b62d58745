"""The rules' interface: detections fit the alert book, states survive JSON, settings refuse nonsense."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

import pytest

from pipeline.alerting.book import AlertBookEntry, BookPolicy, DetectionLike, on_detection
from pipeline.contracts.alert import Severity
from pipeline.rules import (
    RULE_IDS,
    Detection,
    NoState,
    References,
    RuleSettings,
    detection_rules,
    event_rules,
)
from pipeline.rules.base import SubjectKind, capped, dump_state, load_state
from pipeline.rules.common import distance_to_route_m, haversine_m, raised, severity_for_priority
from pipeline.rules.plate_cloned import ClonedPlateRule
from tests.unit.rule_factories import LAT, ROUTE, T0, north_of, place, plate_read

EXPECTED_IDS = {
    "watchlist.plate", "watchlist.person", "watchlist.face", "plate.cloned", "id_gate.face_mismatch",
    "id_gate.repeated_denials", "crowd.density", "explosives.depot_after_hours", "explosives.inventory_drop",
    "explosives.off_corridor", "explosives.stopped_too_long", "device.offline", "device.video_loss",
    "device.tamper", "school.emergency", "access.repeated_denials", "corroboration.incident",
}  # fmt: skip


def test_catalogue_has_every_rule_of_the_brief_once() -> None:
    assert set(RULE_IDS) == EXPECTED_IDS
    assert len(RULE_IDS) == len(EXPECTED_IDS)


@pytest.mark.parametrize("name", sorted(event_rules()))
def test_event_rules_ignore_events_they_do_not_care_about(name: str) -> None:
    rule = event_rules()[name]
    other = plate_read() if name not in {"watchlist.plate", "plate.cloned"} else None
    if other is not None:
        assert rule.key(other) is None
    assert rule.stateful is (rule.state_model is not NoState)
    assert (rule.tick_every is None) or rule.tick_every > timedelta(0)


def _detection(**changes: Any) -> Detection:
    fields: dict[str, Any] = {
        "rule": "device.tamper",
        "severity": Severity.HIGH,
        "subject": "CAM-1",
        "subject_kind": SubjectKind.DEVICE_ID,
        "device_id": "CAM-1",
        "place": None,
        "family": None,
        "summary": "x",
        "evidence_event_ids": ("ev-00000001",),
        "first_seen": T0,
        "last_seen": T0,
    }
    fields.update(changes)
    return Detection(**fields)


def test_a_detection_is_what_the_alert_book_takes() -> None:
    detection: DetectionLike = _detection()
    entry, alert = on_detection(AlertBookEntry(), detection, T0, BookPolicy())
    assert alert is not None and alert.rule == "device.tamper" and entry.sequence == 1
    _, resolved = on_detection(entry, _detection(clears=True), T0, BookPolicy())
    assert resolved is not None and resolved.resolved_by == "auto"


def test_state_round_trips_through_json() -> None:
    rule = ClonedPlateRule()
    state, _ = rule.apply(None, plate_read(), References())
    assert state is not None
    assert load_state(rule, dump_state(state)) == state
    assert load_state(rule, None) is None and dump_state(None) is None


def test_detection_round_trips_through_json() -> None:
    detection = _detection(place=place(), trajectory=())
    assert Detection.model_validate_json(detection.model_dump_json()) == detection


def test_capped_keeps_the_newest_distinct_ids() -> None:
    assert capped(["a", "b", "a", "c", "d"], 3) == ("b", "c", "d")


@pytest.mark.parametrize(
    ("priority", "ring_steps", "expected"),
    [(1, 1, Severity.CRITICAL), (2, 1, Severity.CRITICAL), (3, 1, Severity.HIGH), (4, 0, Severity.LOW),
     (4, -1, Severity.LOW), (1, -1, Severity.HIGH)],
)  # fmt: skip
def test_severity_arithmetic_stays_within_the_scale(
    priority: int, ring_steps: int, expected: Severity
) -> None:
    assert raised(severity_for_priority(priority), ring_steps) is expected


def test_haversine_of_a_degree_of_latitude() -> None:
    assert haversine_m(39.0, 110.0, 40.0, 110.0) == pytest.approx(111_195, rel=1e-4)


@pytest.mark.parametrize("metres", [0.0, 10.0, 499.0, 501.0, 5_000.0])
def test_distance_to_route_beside_a_leg(metres: float) -> None:
    assert distance_to_route_m(north_of(LAT, metres), 110.05, ROUTE) == pytest.approx(metres, abs=0.5)


def test_distance_to_route_past_its_end_is_to_the_end_point() -> None:
    beyond = distance_to_route_m(LAT, 110.21, ROUTE)
    assert beyond == pytest.approx(haversine_m(LAT, 110.2, LAT, 110.21), rel=1e-6)


@pytest.mark.parametrize(
    "changes",
    [
        {"face_similarity_min": 1.2},
        {"id_denials_min": 0},
        {"crowd_clear_ratio": 1.1},
        {"crowd_critical_ratio": 1.0},
        {"corridor_clear_ratio": 0.0},
        {"crowd_window": timedelta(0)},
        {"local_timezone": "Mars/Olympus"},
    ],
)
def test_settings_refuse_nonsense(changes: dict[str, Any]) -> None:
    with pytest.raises((ValueError, ZoneInfoNotFoundError)):
        RuleSettings(**changes)


def test_detection_rules_consume_watch_list_hits_only() -> None:
    (rule,) = detection_rules().values()
    assert rule.key(_detection()) is None
    hit = _detection(rule="watchlist.face", subject="pt_" + "0" * 24, family="face_recognition")
    assert rule.key(hit) == hit.subject
