"""Scoring alerts against ground truth: what counts as found, as a false positive, as a duplicate."""

from __future__ import annotations

from datetime import timedelta

from pipeline.contracts import Alert
from pipeline.evaluation.score import ExpectedAlert, render_table, score, worst
from tests.unit.factories import EVENT_TIME
from tests.unit.test_alerts_view import alert

T = EVENT_TIME


def expected(subject: str = "蒙K8A888", rule: str = "watchlist.plate", evidence: tuple[str, ...] = ("ev-1",),
             minutes: int = 0) -> ExpectedAlert:  # fmt: skip
    start = T + timedelta(minutes=minutes)
    return ExpectedAlert(scenario="s", rule=rule, subject=subject, evidence_event_ids=evidence,
                         first_event_time=start, last_event_time=start + timedelta(minutes=1))  # fmt: skip


def raised(alert_id: str, subject: str = "蒙K8A888", evidence: tuple[str, ...] = ("ev-1",), minutes: int = 0,
           version: int = 1) -> Alert:  # fmt: skip
    start = T + timedelta(minutes=minutes)
    return alert(alert_id=alert_id, subject=subject, evidence_event_ids=evidence, first_seen=start,
                 last_seen=start + timedelta(minutes=1), version=version)  # fmt: skip


def test_found_by_shared_evidence_or_by_time() -> None:
    scores = score([expected(), expected("蒙K0000Z", evidence=("ev-9",))],
                   [raised("al-1"), raised("al-2", "蒙K0000Z", evidence=("other",))])  # fmt: skip
    s = scores["watchlist.plate"]
    assert (s.expected, s.raised, s.found, s.false_positives) == (2, 2, 2, 0)
    assert (s.precision, s.recall) == (1.0, 1.0)


def test_a_missed_alert_and_a_false_positive_are_counted() -> None:
    scores = score([expected(), expected("蒙K0000Z", evidence=("ev-9",), minutes=300)],
                   [raised("al-1"), raised("al-2", "蒙K1111Y", evidence=("ev-5",))])  # fmt: skip
    s = scores["watchlist.plate"]
    assert (s.found, s.false_positives) == (1, 1)
    assert (s.precision, s.recall) == (0.5, 0.5)
    assert s.missed == ["s: 蒙K0000Z"]
    assert worst(scores) == (0.5, 0.5, 0)


def test_versions_of_one_alert_count_once_and_close_repeats_are_duplicates() -> None:
    alerts = [raised("al-1"), raised("al-1", version=3), raised("al-2", evidence=("ev-2",), minutes=5),
              raised("al-3", evidence=("ev-3",), minutes=120)]  # fmt: skip
    s = score([expected()], alerts)["watchlist.plate"]
    assert s.raised == 3
    assert s.duplicates == 1  # al-2 began within 30 min of al-1; al-3 did not


def test_the_table_lists_every_rule() -> None:
    table = render_table(score([expected(rule="school.emergency", subject="SCH-1")], [raised("al-1")]))
    assert "`school.emergency` | 1 | 0 | 0 |" in table
    assert "`watchlist.plate` | 0 | 1 | 0 | 1 |" in table
