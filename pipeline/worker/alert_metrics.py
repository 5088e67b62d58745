"""The alert book's metrics: alerts raised by district, open alerts by rule, severity and state, and the
stage figures of the detection agents.

``OpenAlerts`` keeps, per alert key (rule and subject), the labels of the key's live alert, so the gauge
``warmcity_alerts_open`` stays consistent across the versions of an alert: an acknowledgement moves the
alert from ``open`` to ``acknowledged``, a merge that raises the severity moves it to the new severity, a
resolution removes it; a key is never counted twice. The book agent updates it on every change; the
escalation timer, which reads the whole book anyway, replaces it from the book's table, so alerts recovered
from the changelog after a restart and partitions gone to another worker in a rebalance are accounted for.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from pipeline.contracts.alert import Alert, AlertState
from pipeline.metrics import (
    ALERT_LAG_SECONDS,
    ALERTS_OPEN,
    DISTRICT_ALERTS,
    EVENTS_IN,
    EVENTS_OUT,
    STAGE_SECONDS,
)

UNKNOWN_DISTRICT = "unknown"  # an alert without a place (a rule about a subject, not a device)
ALL_FAMILIES = "all"  # the family label of stages whose messages mix families

Labels = tuple[str, str, str]  # rule, severity, state


def open_labels(alert: Alert | None) -> Labels | None:
    """The gauge's labels for ``alert``, or None when it does not count (none, or resolved)."""
    if alert is None or alert.state is AlertState.RESOLVED:
        return None
    return alert.rule, alert.severity.value, alert.state.value


class OpenAlerts:
    """Live alerts of this worker's part of the book, by key; published as counts per labels."""

    def __init__(self, gauge: Any = ALERTS_OPEN) -> None:
        self._gauge = gauge
        self._by_key: dict[bytes, Labels] = {}
        self._shown: set[Labels] = set()

    def update(self, key: bytes, alert: Alert | None) -> None:
        """The key's alert as of its latest change (None: the key has no alert any more)."""
        labels = open_labels(alert)
        if labels is None:
            self._by_key.pop(key, None)
        else:
            self._by_key[key] = labels

    def replace(self, entries: Iterable[tuple[bytes, Alert | None]]) -> None:
        """Start over from the whole book: every key this worker holds, with its current alert."""
        self._by_key = {key: labels for key, alert in entries if (labels := open_labels(alert)) is not None}

    def counts(self) -> Counter[Labels]:
        return Counter(self._by_key.values())

    def publish(self) -> None:
        """Set the gauge; labels seen before and no longer counted go to 0 (their series stays)."""
        counts = self.counts()
        for labels in self._shown | set(counts):
            self._gauge.labels(*labels).set(counts.get(labels, 0))
        self._shown |= set(counts)


def district_of(alert: Alert) -> str:
    return alert.place.district if alert.place is not None else UNKNOWN_DISTRICT


def alert_lag_s(alert: Alert) -> float:
    """Event time of the alert's latest evidence to the moment the pipeline raised it."""
    return max(0.0, (alert.raised_at - alert.last_seen).total_seconds())


def observe_raised(alert: Alert) -> None:
    """A new alert (version 1): by district, rule and severity; and how long after its evidence."""
    DISTRICT_ALERTS.labels(district_of(alert), alert.rule, alert.severity.value).inc()
    ALERT_LAG_SECONDS.labels(alert.rule).observe(alert_lag_s(alert))


def observe_stage(stage: str, taken: int, passed: int, started: float) -> None:
    """A detection agent's batch: messages taken, items passed on, time since ``started`` (perf_counter)."""
    EVENTS_IN.labels(stage, ALL_FAMILIES).inc(taken)
    EVENTS_OUT.labels(stage, ALL_FAMILIES).inc(passed)
    STAGE_SECONDS.labels(stage).observe(time.perf_counter() - started)
