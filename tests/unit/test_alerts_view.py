from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from pipeline.alerts_view import AlertFilter, render_alert
from pipeline.contracts import Alert, Severity
from tests.unit.factories import EVENT_TIME, PLACE


def alert(severity: Severity = Severity.HIGH, district: str = "Dongsheng", **changes: object) -> Alert:
    fields: dict[str, object] = {
        "alert_id": "al-0001",
        "rule": "watchlist.plate",
        "severity": severity,
        "subject": "蒙K8A888",
        "device_id": "KK-DS-0001",
        "place": PLACE.model_copy(update={"district": district}),
        "summary": "plate 蒙K8A888 on watch list (wanted: robbery)",
        "evidence_event_ids": ("ev-1",),
        "first_seen": EVENT_TIME,
        "last_seen": EVENT_TIME,
        "raised_at": EVENT_TIME + timedelta(seconds=1),
    }
    fields.update(changes)
    return Alert.model_validate(fields)


@pytest.mark.parametrize(
    ("minimum", "shown"),
    [
        (Severity.LOW, {"critical", "high", "medium", "low"}),
        (Severity.HIGH, {"critical", "high"}),
        (Severity.CRITICAL, {"critical"}),
    ],
)
def test_severity_filter_keeps_that_level_and_more_urgent(minimum: Severity, shown: set[str]) -> None:
    selected = AlertFilter(min_severity=minimum)
    assert {s.value for s in Severity if selected.accepts(alert(s))} == shown


def test_district_filter_is_case_insensitive_and_drops_placeless_alerts() -> None:
    selected = AlertFilter(districts=["dongsheng", "Kangbashi"])
    assert selected.accepts(alert(district="Dongsheng"))
    assert selected.accepts(alert(district="Kangbashi"))
    assert not selected.accepts(alert(district="Dalad"))
    assert not selected.accepts(alert(place=None))


def test_line_shows_time_severity_rule_device_place_and_match() -> None:
    line = render_alert(alert(Severity.CRITICAL), ZoneInfo("Asia/Shanghai"))
    assert line.startswith("2026-12-01 16:30:15 CST  CRITICAL")
    for part in (
        "watchlist.plate",
        "KK-DS-0001",
        "Dongsheng/PA-01/GC-0001",
        "on watch list (wanted: robbery)",
    ):
        assert part in line
    assert "unknown place" in render_alert(alert(place=None), ZoneInfo("UTC"))
    assert line.endswith("[al-0001 open]")


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"count": 3, "escalated": True}, "al-0001 open x3 ESCALATED"),
        ({"state": "acknowledged", "acknowledged_by": "duty-7"}, "al-0001 acknowledged by duty-7"),
        ({"state": "resolved", "resolved_by": "auto", "escalated": True}, "al-0001 resolved by auto"),
    ],
)
def test_state_changes_are_shown(changes: dict[str, object], status: str) -> None:
    assert render_alert(alert(Severity.HIGH, "Dongsheng", **changes), ZoneInfo("UTC")).endswith(f"[{status}]")
