"""Phase (d)'s pure parts: percentiles, matching alert snapshots to the events that raised them, the
report with its warm-up and missing alerts, and the re-stamping of injected reads."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from pipeline.bench.latency import AlertSeen, LatencyStats, latency_report, match_alerts, percentile
from pipeline.bench.live import StampedTraffic
from pipeline.simulate import MessageKind, SimulatedMessage


def test_percentile_interpolates_between_ranks_like_numpy() -> None:
    numpy = pytest.importorskip("numpy")
    rng = random.Random(3)
    for size in (1, 2, 3, 10, 101, 1000):
        values = [rng.expovariate(1 / 80) for _ in range(size)]
        for q in (0.0, 0.5, 0.95, 0.99, 1.0):
            assert percentile(values, q) == pytest.approx(float(numpy.percentile(values, q * 100)))


def test_percentile_small_cases() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([30.0, 10.0, 20.0, 40.0], 0.5) == pytest.approx(25.0)
    assert percentile(list(range(101)), 0.99) == pytest.approx(99.0)
    with pytest.raises(ValueError):
        percentile([1.0], 1.5)


def test_stats_of_latencies() -> None:
    stats = LatencyStats.of([100.0, 200.0, 300.0])
    assert (stats.count, stats.p50_ms, stats.max_ms, stats.mean_ms) == (3, 200.0, 300.0, 200.0)
    assert LatencyStats.of([]).as_dict() == {
        "count": 0, "p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None, "mean_ms": None,
    }  # fmt: skip


def seen(alert_id: str, evidence: tuple[str, ...], read_s: float, kafka_s: float | None = None) -> AlertSeen:
    return AlertSeen(alert_id, "watchlist.plate", evidence, read_s, kafka_s)


def test_a_new_alert_is_matched_to_its_latest_evidence() -> None:
    sent = {"e1": 100.0, "e2": 100.5}
    matched, unmatched = match_alerts([seen("al-1", ("e1", "e2"), 100.8, 100.7)], sent)
    assert unmatched == 0 and len(matched) == 1
    assert matched[0].event_id == "e2"
    assert matched[0].read_ms == pytest.approx(300.0) and matched[0].kafka_ms == pytest.approx(200.0)


def test_a_merged_repeat_is_matched_to_the_hit_it_merged_and_escalations_to_nothing() -> None:
    sent = {"e1": 100.0, "e2": 200.0}
    snapshots = [
        seen("al-1", ("e1",), 100.2),
        seen("al-1", ("e1",), 150.0),  # escalated: no new evidence
        seen("al-1", ("e1", "e2"), 200.4),  # the book merged a repeat of the same rule and subject
        seen("al-2", ("not-ours",), 201.0),  # evidence the harness did not send
    ]
    matched, unmatched = match_alerts(snapshots, sent)
    assert [(m.alert_id, m.event_id) for m in matched] == [("al-1", "e1"), ("al-1", "e2")]
    assert [m.read_ms for m in matched] == [pytest.approx(200.0), pytest.approx(400.0)]
    assert unmatched == 2
    assert matched[0].kafka_ms is None


def test_the_report_counts_after_the_warm_up_and_names_the_missing() -> None:
    injected = {"w1": 90.0, "a1": 110.0, "a2": 111.0, "a3": 112.0}
    sent = {**injected, "bg": 110.0}
    snapshots = [
        seen("al-w", ("w1",), 95.0),  # in the warm-up: by rule only
        seen("al-1", ("a1",), 110.1, 110.05),
        seen("al-1", ("a1",), 110.9),  # the same event again (a replayed snapshot): counted once
        seen("al-2", ("a2",), 111.3, 111.2),
        AlertSeen("al-3", "plate.cloned", ("bg",), 110.5, None),
    ]
    matched, unmatched = match_alerts(snapshots, sent)
    report = latency_report(matched, unmatched, injected, measured_from_s=100.0)
    assert report.injected == 3 and report.missing == 1  # a3 never got its alert
    assert report.read.count == 2
    assert sorted(report.latencies_ms) == [pytest.approx(100.0), pytest.approx(300.0)]
    assert report.kafka.p50_ms == pytest.approx(125.0)
    assert report.by_rule["watchlist.plate"].count == 3 and report.by_rule["plate.cloned"].count == 1
    found = report.as_dict()
    assert found["missing"] == 1 and found["read"]["count"] == 2 and len(found["latencies_ms"]) == 2


def _message(kind: MessageKind, event_id: str, when: datetime) -> SimulatedMessage:
    document = {"event_id": event_id, "event_time": when, "plate": "WL000001"}
    return SimulatedMessage(
        key=b"KK-1", value=orjson.dumps(document, option=orjson.OPT_UTC_Z), kind=kind, event_id=event_id,
        event_time=when,
    )  # fmt: skip


def test_injected_reads_are_stamped_now_and_every_event_time_is_noted() -> None:
    past = datetime.now(UTC) - timedelta(seconds=30)
    traffic = StampedTraffic(
        iter([_message(MessageKind.EVENT, "bg", past), _message(MessageKind.INJECTED, "inj", past)])
    )
    before = datetime.now(UTC)
    out = list(traffic)
    after = datetime.now(UTC)
    assert out[0].value == _message(MessageKind.EVENT, "bg", past).value
    stamped = datetime.fromisoformat(orjson.loads(out[1].value)["event_time"])
    assert before <= stamped <= after and out[1].event_time == stamped
    assert orjson.loads(out[1].value)["plate"] == "WL000001"
    assert traffic.sent["bg"] == pytest.approx(past.timestamp())
    assert traffic.sent["inj"] == traffic.injected["inj"] == pytest.approx(stamped.timestamp())
    assert set(traffic.injected) == {"inj"}
