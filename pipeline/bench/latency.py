"""Phase (d)'s arithmetic: which event an alert snapshot answers, how late it was, and percentiles.

Pure: no Kafka here. The harness records, for every event it sends, the event's id and event time; the
alerts consumer records every snapshot it reads off the alerts topic with the time it read it and the
message's Kafka timestamp. An alert snapshot is matched to the events that are new in its evidence (not in
an earlier snapshot of the same alert id): a new alert (version 1) to all of its evidence, a merged repeat
(the alert book's suppression raises the count instead of a new alert) to the hit it merged. The trigger is
the latest of those events: the alert could not be raised before it arrived. Snapshots without new evidence
(escalation, acknowledgement) and evidence the harness did not send are not matched.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

QUANTILES = (0.50, 0.95, 0.99)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values`` with linear interpolation between the closest ranks (as
    numpy's default); None for no values."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile must be in [0, 1], got {q}")
    if not values:
        return None
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class LatencyStats:
    count: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    mean_ms: float | None

    @classmethod
    def of(cls, latencies_ms: Sequence[float]) -> LatencyStats:
        p50, p95, p99 = (percentile(latencies_ms, q) for q in QUANTILES)
        mean = sum(latencies_ms) / len(latencies_ms) if latencies_ms else None
        return cls(len(latencies_ms), p50, p95, p99, max(latencies_ms, default=None), mean)

    def as_dict(self) -> dict[str, Any]:
        def ms(value: float | None) -> float | None:
            return round(value, 1) if value is not None else None

        return {
            "count": self.count,
            "p50_ms": ms(self.p50_ms),
            "p95_ms": ms(self.p95_ms),
            "p99_ms": ms(self.p99_ms),
            "max_ms": ms(self.max_ms),
            "mean_ms": ms(self.mean_ms),
        }


@dataclass(frozen=True)
class AlertSeen:
    """One alert snapshot as read off the alerts topic."""

    alert_id: str
    rule: str
    evidence: tuple[str, ...]
    read_s: float  # wall clock (epoch seconds) when the harness's consumer had it
    kafka_s: float | None  # the message's Kafka timestamp (epoch seconds), None when it has none


@dataclass(frozen=True)
class Matched:
    alert_id: str
    rule: str
    event_id: str  # the trigger: the latest of the snapshot's new evidence that the harness sent
    event_s: float
    read_ms: float  # read_s - event_s, in ms
    kafka_ms: float | None  # kafka_s - event_s, in ms


def match_alerts(seen: Iterable[AlertSeen], sent: Mapping[str, float]) -> tuple[list[Matched], int]:
    """Match snapshots (in the order read) to the events of ``sent`` (event id -> event time, epoch s);
    return the matches and how many snapshots had no new evidence that the harness sent."""
    evidence_of: dict[str, set[str]] = {}
    matched: list[Matched] = []
    unmatched = 0
    for alert in seen:
        before = evidence_of.setdefault(alert.alert_id, set())
        new = [event for event in alert.evidence if event not in before]
        before.update(alert.evidence)
        known = [(sent[event], event) for event in new if event in sent]
        if not known:
            unmatched += 1
            continue
        event_s, event_id = max(known)
        kafka_ms = (alert.kafka_s - event_s) * 1000 if alert.kafka_s is not None else None
        matched.append(
            Matched(alert.alert_id, alert.rule, event_id, event_s, (alert.read_s - event_s) * 1000, kafka_ms)
        )
    return matched, unmatched


@dataclass(frozen=True)
class LatencyReport:
    """What (d) found: latencies of the alerts raised by the injected reads after the warm-up, by the
    consumer's read time (headline) and by the Kafka timestamp, and every rule's alerts."""

    read: LatencyStats
    kafka: LatencyStats
    injected: int  # injected watched-plate reads sent after the warm-up
    missing: int  # of those, reads no alert answered by the end
    by_rule: dict[str, LatencyStats] = field(default_factory=dict)  # every matched alert, warm-up included
    unmatched_snapshots: int = 0
    latencies_ms: tuple[float, ...] = ()  # the headline's samples, for the plot
    over_time: tuple[
        tuple[float, float], ...
    ] = ()  # (trigger's event time epoch s, latency ms), in time order

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read.as_dict(),
            "kafka_timestamp": self.kafka.as_dict(),
            "injected_after_warmup": self.injected,
            "missing": self.missing,
            "by_rule": {rule: stats.as_dict() for rule, stats in sorted(self.by_rule.items())},
            "unmatched_snapshots": self.unmatched_snapshots,
            "latencies_ms": [round(x, 1) for x in self.latencies_ms],
            "over_time": [[round(at, 3), round(ms, 1)] for at, ms in self.over_time],
        }


def latency_report(
    matched: Sequence[Matched], unmatched: int, injected: Mapping[str, float], measured_from_s: float
) -> LatencyReport:
    """``injected``: event id -> event time of the injected reads; only those at or after
    ``measured_from_s`` (the end of the warm-up) count in the headline."""
    counted = {event for event, at in injected.items() if at >= measured_from_s}
    first: dict[str, Matched] = {}
    for match in matched:
        if match.event_id in counted and match.event_id not in first:
            first[match.event_id] = match
    headline = [m.read_ms for m in first.values()]
    kafka = [m.kafka_ms for m in first.values() if m.kafka_ms is not None]
    rules: dict[str, list[float]] = {}
    for match in matched:
        rules.setdefault(match.rule, []).append(match.read_ms)
    return LatencyReport(
        read=LatencyStats.of(headline),
        kafka=LatencyStats.of(kafka),
        injected=len(counted),
        missing=len(counted) - len(first),
        by_rule={rule: LatencyStats.of(values) for rule, values in rules.items()},
        unmatched_snapshots=unmatched,
        latencies_ms=tuple(headline),
        over_time=tuple(sorted((m.event_s, m.read_ms) for m in first.values())),
    )
