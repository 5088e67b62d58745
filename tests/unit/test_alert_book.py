"""The alert lifecycle: suppression into one open alert, operator actions, auto-resolution, escalation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from pipeline.alerting.book import (
    AlertBookEntry,
    BookPolicy,
    alert_key,
    key_of_alert_id,
    on_action,
    on_detection,
    on_tick,
)
from pipeline.contracts.alert import Alert, AlertAction, AlertActionKind, AlertState, Severity
from pipeline.contracts.reference import Place
from tests.unit.factories import EVENT_TIME, PLACE

POLICY = BookPolicy(suppression_window=timedelta(minutes=30), escalate_after=timedelta(minutes=5))


@dataclass(frozen=True)
class Hit:
    last_seen: datetime = EVENT_TIME
    severity: Severity = Severity.HIGH
    clears: bool = False
    evidence_event_ids: Sequence[str] = field(default_factory=lambda: ("ev-1",))
    rule: str = "watchlist.plate"
    subject: str = "蒙K8A888"
    device_id: str = "KK-DS-0001"
    place: Place | None = PLACE
    summary: str = "plate on watch list"

    @property
    def first_seen(self) -> datetime:
        return self.last_seen


def feed(*hits: Hit) -> tuple[AlertBookEntry, list[Alert]]:
    entry, published = AlertBookEntry(), []
    for hit in hits:
        entry, alert = on_detection(entry, hit, hit.last_seen + timedelta(seconds=1), POLICY)
        if alert is not None:
            published.append(alert)
    return entry, published


def action(
    entry: AlertBookEntry, kind: AlertActionKind, alert_id: str | None = None
) -> tuple[AlertBookEntry, Alert | None, str | None]:
    assert entry.current is not None
    act = AlertAction(action_id="act-1", alert_id=alert_id or entry.current.alert_id, action=kind,
                      operator="duty-officer-7", note="patrol car 12 sent", at=EVENT_TIME)  # fmt: skip
    return on_action(entry, act, EVENT_TIME + timedelta(minutes=1))


def test_hits_within_the_window_merge_into_one_open_alert() -> None:
    _, published = feed(*(Hit(EVENT_TIME + timedelta(minutes=10 * n), evidence_event_ids=(f"ev-{n}",))
                              for n in range(4)))  # fmt: skip
    assert len({a.alert_id for a in published}) == 1
    final = published[-1]
    assert (final.count, final.version, final.state) == (4, 4, AlertState.OPEN)
    assert final.evidence_event_ids == ("ev-0", "ev-1", "ev-2", "ev-3")
    assert final.first_seen == EVENT_TIME and final.last_seen == EVENT_TIME + timedelta(minutes=30)


def test_a_hit_after_the_window_raises_the_next_alert() -> None:
    _, published = feed(Hit(), Hit(EVENT_TIME + timedelta(minutes=31)))
    assert [a.alert_id.rsplit("-", 1)[1] for a in published] == ["1", "2"]
    assert published[0].alert_id.split("-")[1] == alert_key("watchlist.plate", "蒙K8A888")


def test_merging_keeps_the_most_urgent_severity() -> None:
    _, published = feed(
        Hit(severity=Severity.HIGH), Hit(severity=Severity.CRITICAL), Hit(severity=Severity.LOW)
    )
    assert [a.severity for a in published] == [Severity.HIGH, Severity.CRITICAL, Severity.CRITICAL]


def test_acknowledge_then_resolve_by_an_operator() -> None:
    entry, _ = feed(Hit())
    entry, acked, why = action(entry, AlertActionKind.ACKNOWLEDGE)
    assert why is None and isinstance(acked, Alert)
    assert (acked.state, acked.acknowledged_by, acked.note) == (
        AlertState.ACKNOWLEDGED,
        "duty-officer-7",
        "patrol car 12 sent",
    )
    entry, _, again = action(entry, AlertActionKind.ACKNOWLEDGE)
    assert again is not None and "already acknowledged" in again
    entry, resolved, _ = action(entry, AlertActionKind.RESOLVE)
    assert isinstance(resolved, Alert) and resolved.state is AlertState.RESOLVED
    _, none, why = action(entry, AlertActionKind.RESOLVE)
    assert none is None and "already resolved" in str(why)


def test_an_action_on_an_older_alert_of_the_key_changes_nothing() -> None:
    entry, published = feed(Hit(), Hit(EVENT_TIME + timedelta(hours=1)))
    _, changed, why = action(entry, AlertActionKind.ACKNOWLEDGE, alert_id=published[0].alert_id)
    assert changed is None and "not the latest" in str(why)


def test_a_hit_after_resolution_raises_a_new_alert() -> None:
    entry, _ = feed(Hit())
    entry, _, _ = action(entry, AlertActionKind.RESOLVE)
    entry, alert = on_detection(entry, Hit(EVENT_TIME + timedelta(minutes=2)), EVENT_TIME, POLICY)
    assert alert is not None and alert.alert_id.endswith("-2") and alert.state is AlertState.OPEN


def test_a_clearing_detection_resolves_automatically_and_is_ignored_without_an_open_alert() -> None:
    assert feed(Hit(clears=True))[1] == []
    _, published = feed(Hit(), Hit(EVENT_TIME + timedelta(minutes=3), clears=True, summary="heartbeat back"))
    assert (published[-1].state, published[-1].resolved_by) == (AlertState.RESOLVED, "auto")


@pytest.mark.parametrize(
    ("severity", "after", "acknowledged", "escalates"),
    [
        (Severity.CRITICAL, timedelta(minutes=6), False, True),
        (Severity.CRITICAL, timedelta(minutes=4), False, False),
        (Severity.CRITICAL, timedelta(minutes=6), True, False),
        (Severity.HIGH, timedelta(minutes=60), False, False),
    ],
)
def test_unacknowledged_critical_alerts_escalate_once(
    severity: Severity, after: timedelta, acknowledged: bool, escalates: bool
) -> None:
    entry, published = feed(Hit(severity=severity))
    if acknowledged:
        entry, _, _ = action(entry, AlertActionKind.ACKNOWLEDGE)
    raised = published[0].raised_at
    entry, escalated = on_tick(entry, raised + after, POLICY)
    assert (escalated is not None) is escalates
    if escalated is not None:
        assert escalated.escalated and escalated.version == 2
        assert on_tick(entry, raised + after + timedelta(minutes=10), POLICY)[1] is None


def test_entries_round_trip_through_json() -> None:
    entry, _ = feed(Hit(), Hit(EVENT_TIME + timedelta(minutes=1)))
    assert AlertBookEntry.model_validate_json(entry.model_dump_json()) == entry


@pytest.mark.parametrize("bad", ["al-123-1", "alert-0123456789abcdef-1", "al-0123456789abcdef", "x"])
def test_alert_ids_are_checked(bad: str) -> None:
    with pytest.raises(ValueError, match="is not an alert id"):
        key_of_alert_id(bad)
    assert key_of_alert_id("al-0123456789abcdef-12") == "0123456789abcdef"
