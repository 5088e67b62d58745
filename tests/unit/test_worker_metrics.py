"""The worker's operational metrics, from their pure helpers: consumer lag, events by district and ahead of
the clock, open alerts across an alert's versions, alerts by district, the sink's last success."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY, CollectorRegistry, Gauge

from pipeline.contracts import Alert, Severity
from pipeline.contracts.alert import AlertState
from pipeline.contracts.reference import DeviceFamily
from pipeline.errors import RejectReason, TransientError
from pipeline.sink.clickhouse import TableWriter
from pipeline.sink.policy import RetryPolicy
from pipeline.stages.intake import IntakeContext, RawMessage, process_batch
from pipeline.stages.validate import EventTimeLimits
from pipeline.worker.alert_metrics import OpenAlerts, alert_lag_s, district_of, observe_raised
from pipeline.worker.intake_metrics import ahead_seconds, district_counts, observe_intake
from pipeline.worker.lag_metrics import LagGauges, group_partitions, measure, partition_lag
from tests.unit.factories import EVENT_TIME, PLACE, PSEUDONYMISER, device, plate_read_bytes
from tests.unit.test_alerts_view import alert


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- consumer lag ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("highwater", "committed", "position", "lag"),
    [
        (120, 100, 110, 20),  # committed wins over the position
        (120, None, 110, 10),  # never committed: from the position
        (100, 100, None, 0),
        (90, 100, None, 0),  # a stale high watermark never makes a negative lag
        (None, 100, 110, None),  # not fetched yet
        (120, None, None, None),
        (0, None, None, 0),  # an empty partition (the actions topic, mostly): nothing to be behind on
    ],
)
def test_partition_lag(
    highwater: int | None, committed: int | None, position: int | None, lag: int | None
) -> None:
    assert partition_lag(highwater, committed, position) == lag


def test_changelogs_are_not_the_groups_partitions() -> None:
    assigned = [
        ("p.raw.camera", 1),
        ("p.raw.camera", 0),
        ("p-worker-rule_state-changelog", 0),
        ("p.detect", 2),
    ]
    assert group_partitions(assigned) == [("p.detect", 2), ("p.raw.camera", 0), ("p.raw.camera", 1)]


def gauges() -> tuple[LagGauges, CollectorRegistry]:
    registry = CollectorRegistry()
    lag = Gauge("lag", "", ["topic", "partition"], registry=registry)
    assigned = Gauge("assigned", "", ["topic"], registry=registry)
    return LagGauges(lag, assigned), registry


def test_lag_gauges_follow_the_assignment() -> None:
    keeper, registry = gauges()
    keeper.set_lag({("t.raw", 0): 5, ("t.raw", 1): 7})
    keeper.set_assigned([("t.raw", 0), ("t.raw", 1), ("t.detect", 0)])
    assert registry.get_sample_value("lag", {"topic": "t.raw", "partition": "1"}) == 7
    assert registry.get_sample_value("assigned", {"topic": "t.raw"}) == 2
    # A rebalance takes partition 1 and the detect topic away; partition 0's figure is unknown this round.
    keeper.set_lag({("t.raw", 0): None})
    keeper.set_assigned([("t.raw", 0)])
    assert registry.get_sample_value("lag", {"topic": "t.raw", "partition": "1"}) is None  # series gone
    assert registry.get_sample_value("lag", {"topic": "t.raw", "partition": "0"}) == 5  # last known kept
    assert registry.get_sample_value("assigned", {"topic": "t.detect"}) == 0
    assert registry.get_sample_value("assigned", {"topic": "t.raw"}) == 1


@dataclass(frozen=True)
class TP:
    topic: str
    partition: int


class FakeConsumer:
    def __init__(self, committed: dict[TP, int | None]) -> None:
        self._committed_offset = committed

    def assignment(self) -> set[TP]:
        return {*self._committed_offset, TP("w-alert_book-changelog", 0)}


def test_one_round_measures_every_group_partition() -> None:
    a, b, c, d = TP("t.raw", 0), TP("t.raw", 1), TP("t.detect", 0), TP("t.actions", 0)
    consumer = FakeConsumer({a: 40, b: None, c: 3, d: None})
    highwaters: dict[Any, int | None] = {a: 100, b: 50, c: None, d: 0}
    asked: list[Any] = []

    async def position(tp: Any) -> int | None:
        asked.append(tp)
        return 45

    partitions, lags = asyncio.run(measure(consumer, highwaters.get, position))
    assert partitions == [("t.actions", 0), ("t.detect", 0), ("t.raw", 0), ("t.raw", 1)]
    assert lags == {("t.raw", 0): 60, ("t.raw", 1): 5, ("t.detect", 0): None, ("t.actions", 0): 0}
    assert asked == [b]  # the position only where nothing was committed and something was written


# --- intake: districts and clocks ahead -----------------------------------------------------------------


def intake(values: list[bytes], devices: dict[str, Any]) -> Any:
    context = IntakeContext(PSEUDONYMISER, devices, {}, {}, EventTimeLimits(max_ahead=timedelta(minutes=5)))
    messages = [RawMessage("t.raw", 0, n, b"k", v) for n, v in enumerate(values)]
    return process_batch(messages, DeviceFamily.VEHICLE_CHECKPOINT, context, EVENT_TIME)


def test_districts_and_seconds_ahead_of_a_batch() -> None:
    other = device("KK-EJ-0001").model_copy(update={"place": PLACE.model_copy(update={"district": "Ejin"})})
    devices = {"KK-DS-0001": device(), "KK-EJ-0001": other}

    def at(seconds: float) -> str:
        return (EVENT_TIME + timedelta(seconds=seconds)).isoformat()

    outcome = intake(
        [
            plate_read_bytes(event_id="ev-metric-1", event_time=at(-3)),
            plate_read_bytes(event_id="ev-metric-2", event_time=at(40)),  # a fast clock, accepted
            plate_read_bytes(event_id="ev-metric-3", device_id="KK-EJ-0001", event_time=at(0)),
            plate_read_bytes(event_id="ev-metric-4", event_time=at(900)),  # beyond max_ahead: dead-lettered
            b"not json",
        ],
        devices,
    )
    assert [d.reason for d in outcome.dead_letters] == [
        RejectReason.EVENT_TIME_FUTURE,
        RejectReason.NOT_JSON,
    ]
    assert district_counts(outcome) == {"Dongsheng": 2, "Ejin": 1}
    assert ahead_seconds(outcome, EVENT_TIME) == pytest.approx([40.0, 900.0])

    family = DeviceFamily.VEHICLE_CHECKPOINT.value
    before = {
        "ds": sample("warmcity_district_events_total", district="Dongsheng", family=family),
        "count": sample("warmcity_event_ahead_seconds_count", family=family),
        "le60": sample("warmcity_event_ahead_seconds_bucket", family=family, le="60.0"),
    }
    observe_intake(outcome, DeviceFamily.VEHICLE_CHECKPOINT, EVENT_TIME)
    assert sample("warmcity_district_events_total", district="Dongsheng", family=family) - before["ds"] == 2
    assert sample("warmcity_event_ahead_seconds_count", family=family) - before["count"] == 2
    assert sample("warmcity_event_ahead_seconds_bucket", family=family, le="60.0") - before["le60"] == 1


# --- alerts ----------------------------------------------------------------------------------------------


def versions() -> list[Alert]:
    """One alert's life: raised high, merged into critical, acknowledged, resolved."""
    raised = alert(alert_id="al-00000000000000aa-1", severity=Severity.HIGH)
    merged = raised.model_copy(update={"severity": Severity.CRITICAL, "count": 2, "version": 2})
    acked = merged.model_copy(update={"state": AlertState.ACKNOWLEDGED, "version": 3})
    resolved = acked.model_copy(update={"state": AlertState.RESOLVED, "version": 4})
    return [raised, merged, acked, resolved]


def open_gauge() -> tuple[OpenAlerts, CollectorRegistry]:
    registry = CollectorRegistry()
    return OpenAlerts(Gauge("open", "", ["rule", "severity", "state"], registry=registry)), registry


def shown(registry: CollectorRegistry) -> dict[tuple[str, str, str], float]:
    (family,) = [f for f in registry.collect() if f.name == "open"]
    return {(s.labels["rule"], s.labels["severity"], s.labels["state"]): s.value for s in family.samples}


def test_open_alerts_count_each_alert_once_across_its_versions() -> None:
    book, registry = open_gauge()
    rule = "watchlist.plate"
    other = alert(alert_id="al-00000000000000bb-1", rule="device.offline", severity=Severity.LOW)
    book.update(b"bb", other)
    expected = [
        {(rule, "high", "open"): 1},
        {(rule, "high", "open"): 0, (rule, "critical", "open"): 1},
        {(rule, "high", "open"): 0, (rule, "critical", "open"): 0, (rule, "critical", "acknowledged"): 1},
        {(rule, "high", "open"): 0, (rule, "critical", "open"): 0, (rule, "critical", "acknowledged"): 0},
    ]
    for version, wanted in zip(versions(), expected, strict=True):
        book.update(b"aa", version)
        book.publish()
        assert shown(registry) == {**wanted, ("device.offline", "low", "open"): 1}


def test_open_alerts_start_over_from_the_book() -> None:
    book, registry = open_gauge()
    raised, _, acked, _ = versions()
    book.update(b"gone", raised.model_copy(update={"rule": "plate.cloned"}))  # a key moved to another worker
    book.replace([(b"aa", acked), (b"cc", None), (b"dd", raised.model_copy(update={"alert_id": "al-x-1"}))])
    book.publish()
    assert shown(registry) == {
        ("watchlist.plate", "critical", "acknowledged"): 1,
        ("watchlist.plate", "high", "open"): 1,
    }
    assert book.counts().total() == 2


def test_a_new_alert_is_counted_by_district_and_its_lag_observed() -> None:
    raised = alert(district="Ejin", raised_at=EVENT_TIME + timedelta(seconds=2.5))
    assert district_of(raised) == "Ejin" and alert_lag_s(raised) == 2.5
    assert district_of(raised.model_copy(update={"place": None})) == "unknown"
    labels = {"district": "Ejin", "rule": raised.rule, "severity": raised.severity.value}
    before = sample("warmcity_district_alerts_total", **labels)
    lag_before = sample("warmcity_alert_lag_seconds_bucket", rule=raised.rule, le="2.5")
    observe_raised(raised)
    assert sample("warmcity_district_alerts_total", **labels) - before == 1
    assert sample("warmcity_alert_lag_seconds_bucket", rule=raised.rule, le="2.5") - lag_before == 1


# --- sink ------------------------------------------------------------------------------------------------


class FakeClient:
    def __init__(self, fail: bool) -> None:
        self.fail = fail

    def execute(self, statement: str, rows: Any) -> None:
        if self.fail:
            raise ConnectionError("ClickHouse away")

    def disconnect(self) -> None:
        pass


def test_the_sink_stamps_its_last_success_only_when_clickhouse_acknowledged() -> None:
    client = FakeClient(fail=False)
    writer = TableWriter(lambda: client, "metrics_test_table", ["a"], RetryPolicy())
    started = time.time()
    writer.insert([(1,)])
    stamped = sample("warmcity_sink_last_success_timestamp_seconds", table="metrics_test_table")
    assert started <= stamped <= time.time()
    client.fail = True
    with pytest.raises(TransientError, match="ClickHouse away"):
        writer.insert_once([(2,)])
    assert sample("warmcity_sink_last_success_timestamp_seconds", table="metrics_test_table") == stamped
