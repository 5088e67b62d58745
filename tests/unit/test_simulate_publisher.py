"""The simulator's publisher, against an in-memory stand-in for confluent_kafka.Producer.

``FakeProducer`` is shared with the reference-publishing tests.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import confluent_kafka
import orjson
import pytest

from pipeline.city import build_city
from pipeline.simulate import (
    CitySimulator,
    MessageKind,
    SimulationError,
    SimulationProgress,
    SimulationWorld,
    run_simulation,
)
from pipeline.simulate.gateway import GatewayBatcher

TOPIC = "test.raw.events"  # one topic for every family's messages


@dataclass
class FakeTopic:
    error: Any = None


@dataclass
class FakeMetadata:
    topics: dict[str, FakeTopic]


class FakeError:
    def __init__(self, text: str) -> None:
        self.text = text

    def str(self) -> str:
        return self.text


@dataclass
class FakeMessage:
    _topic: str
    _key: bytes | None
    _value: bytes | None
    _headers: list[tuple[str, bytes]] | None = None

    def headers(self) -> list[tuple[str, bytes]] | None:
        return self._headers

    def topic(self) -> str:
        return self._topic

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value


@dataclass
class FakeProducer:
    """Records what is produced; ``fail_every`` makes every n-th delivery fail, ``stuck`` never delivers."""

    config: dict[str, Any]
    topics: set[str] = field(default_factory=lambda: {TOPIC})
    unreachable: bool = False
    fail_every: int = 0
    stuck: bool = False
    produced: list[FakeMessage] = field(default_factory=list)
    _pending: list[tuple[FakeMessage, Callable[[Any, Any], None]]] = field(default_factory=list)
    _served: int = 0

    def list_topics(self, topic: str | None = None, timeout: float = -1) -> FakeMetadata:
        if self.unreachable:
            raise confluent_kafka.KafkaException("Local: Broker transport failure")
        error = None if topic in self.topics else "UNKNOWN_TOPIC_OR_PART"
        return FakeMetadata({topic or "": FakeTopic(error)})

    def produce(
        self,
        topic: str,
        key: bytes | None = None,
        value: bytes | None = None,
        on_delivery: Any = None,
        headers: dict[str, bytes] | None = None,
    ) -> None:
        message = FakeMessage(topic, key, value, list(headers.items()) if headers else None)
        self.produced.append(message)
        self._pending.append((message, on_delivery))

    def poll(self, timeout: float = 0) -> int:
        served = self._deliver()
        if not served and timeout > 0:
            time.sleep(timeout)
        return served

    def flush(self, timeout: float = -1) -> int:
        self._deliver()
        return len(self._pending)

    def _deliver(self) -> int:
        if self.stuck:
            return 0
        served = 0
        while self._pending:
            message, callback = self._pending.pop(0)
            served += 1
            self._served += 1
            failed = self.fail_every and self._served % self.fail_every == 0
            callback(FakeError("Broker: Not enough in-sync replicas") if failed else None, message)
        return served


@pytest.fixture
def fake_producers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[FakeProducer]]:
    """Every FakeProducer made while the test runs; ``options`` sets attributes on the next ones."""
    made: list[FakeProducer] = []

    def factory(config: dict[str, Any]) -> FakeProducer:
        producer = FakeProducer(config, **OPTIONS)
        made.append(producer)
        return producer

    monkeypatch.setattr(confluent_kafka, "Producer", factory)
    yield made
    OPTIONS.clear()  # only after: a test's own fixtures may have set options before this one ran


OPTIONS: dict[str, Any] = {}


WORLD = SimulationWorld.from_city(build_city("small", 7))
START = datetime(2026, 12, 1, 2, tzinfo=UTC)


def make_simulator(**options: Any) -> CitySimulator:
    return CitySimulator(WORLD, 7, 200.0, start=START, **options)


def test_sends_count_messages_keyed_by_device_and_reports_kinds(fake_producers: list[FakeProducer]) -> None:
    options: dict[str, Any] = {
        "watched_plates": ["蒙K8A888"],
        "inject_every": 50,
        "malformed_share": 0.1,
        "duplicate_share": 0.05,
        "late_share": 0.05,
        "unknown_device_share": 0.05,
    }
    expected = make_simulator(**options).take(500)
    kinds = Counter(m.kind for m in expected)
    assert all(kinds[kind] for kind in MessageKind)  # the run below has every kind to count
    summary = run_simulation("broker:9092", TOPIC, make_simulator(**options), rate_per_s=50_000, count=500)
    assert summary.ok
    assert (summary.sent, summary.delivered, summary.failed) == (500, 500, 0)
    assert summary.injected == kinds[MessageKind.INJECTED] == 10
    assert summary.malformed == kinds[MessageKind.MALFORMED]
    assert summary.duplicates == kinds[MessageKind.DUPLICATE]
    assert summary.unknown_device == kinds[MessageKind.UNKNOWN_DEVICE]
    assert sum(t.late for t in summary.families.values()) == sum(m.late for m in expected) > 0
    (producer,) = fake_producers
    assert [(m.key(), m.value()) for m in producer.produced] == [(m.key, m.value) for m in expected]
    assert {m.topic() for m in producer.produced} == {TOPIC}
    for message in expected:  # keyed by the device that sent it (an unregistered one's too)
        if message.kind is not MessageKind.MALFORMED:
            assert message.key == orjson.loads(message.value)["device_id"].encode()


def test_producer_lingers_about_20_ms_and_never_creates_topics(fake_producers: list[FakeProducer]) -> None:
    run_simulation("broker:9092", TOPIC, make_simulator(), rate_per_s=1000, count=1)
    config = fake_producers[0].config
    assert config["bootstrap.servers"] == "broker:9092"
    assert config["linger.ms"] == 20
    assert config["allow.auto.create.topics"] is False


def test_rate_is_paced_by_schedule(fake_producers: list[FakeProducer]) -> None:
    summary = run_simulation("b:1", TOPIC, make_simulator(), rate_per_s=400, count=200)
    assert 0.45 <= summary.elapsed_s < 1.0  # 200 messages at 400/s: the last one is due at 0.4975 s
    assert 200 <= summary.rate_per_s <= 450


def test_duration_bounds_the_run(fake_producers: list[FakeProducer]) -> None:
    summary = run_simulation("b:1", TOPIC, make_simulator(), rate_per_s=200, duration_s=0.5)
    assert summary.sent == 100  # due times 0, 5 ms, ... 495 ms
    assert summary.ok


def test_count_and_duration_stop_at_whichever_comes_first(fake_producers: list[FakeProducer]) -> None:
    assert run_simulation("b:1", TOPIC, make_simulator(), 1000, duration_s=10, count=30).sent == 30


def test_a_finite_source_ends_the_run(fake_producers: list[FakeProducer]) -> None:
    messages = make_simulator().take(7)
    assert run_simulation("b:1", TOPIC, messages, 10_000, count=100).sent == 7


def test_progress_is_reported_while_running(fake_producers: list[FakeProducer]) -> None:
    seen: list[SimulationProgress] = []
    run_simulation(
        "b:1", TOPIC, make_simulator(), 200, duration_s=0.5, progress=seen.append, progress_every_s=0.1
    )
    assert 3 <= len(seen) <= 6
    assert [p.sent for p in seen] == sorted(p.sent for p in seen)
    assert all(p.rate_per_s > 0 for p in seen)


def test_failed_deliveries_make_the_summary_not_ok(fake_producers: list[FakeProducer]) -> None:
    OPTIONS["fail_every"] = 10
    summary = run_simulation("b:1", TOPIC, make_simulator(), 100_000, count=100)
    assert not summary.ok
    assert summary.failed == 10
    assert summary.delivered == 90
    assert summary.first_error == f"{TOPIC}: Broker: Not enough in-sync replicas"


def test_undelivered_at_flush_counts_as_failed(fake_producers: list[FakeProducer]) -> None:
    OPTIONS["stuck"] = True
    summary = run_simulation("b:1", TOPIC, make_simulator(), 100_000, count=20, flush_timeout_s=0.1)
    assert not summary.ok
    assert summary.failed == 20
    assert summary.first_error is not None and "not delivered" in summary.first_error


def test_missing_topic_is_refused_before_sending(fake_producers: list[FakeProducer]) -> None:
    with pytest.raises(SimulationError, match=r"does not exist.*warmcity topics create"):
        run_simulation("b:1", "nope", make_simulator(), 100, count=1)
    assert not fake_producers[0].produced


def test_unreachable_broker_is_refused_with_its_address(fake_producers: list[FakeProducer]) -> None:
    OPTIONS["unreachable"] = True
    with pytest.raises(SimulationError, match="cannot reach Kafka at b:1"):
        run_simulation("b:1", TOPIC, make_simulator(), 100, count=1)


@pytest.mark.parametrize(
    ("rate", "duration", "count", "message"),
    [
        (0.0, 1.0, None, "rate_per_s"),
        (-5.0, 1.0, None, "rate_per_s"),
        (10.0, None, None, "duration_s or count"),
    ],
)
def test_bad_arguments_are_refused(
    rate: float, duration: float | None, count: int | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        run_simulation("b:1", TOPIC, make_simulator(), rate, duration_s=duration, count=count)


def test_duration_is_wall_clock_when_the_rate_cannot_be_reached(fake_producers: list[FakeProducer]) -> None:
    def slow_source() -> Iterator[Any]:
        for message in make_simulator():
            time.sleep(0.01)  # at most ~100 messages/s
            yield message

    summary = run_simulation("b:1", TOPIC, slow_source(), rate_per_s=10_000, duration_s=0.5)
    assert summary.elapsed_s < 0.6
    assert summary.sent < 60


def test_ctrl_c_stops_sending_but_still_flushes_and_counts(fake_producers: list[FakeProducer]) -> None:
    def interrupted_source() -> Iterator[Any]:
        yield from make_simulator().take(25)
        raise KeyboardInterrupt

    summary = run_simulation("b:1", TOPIC, interrupted_source(), rate_per_s=10_000, count=100)
    assert summary.interrupted
    assert (summary.sent, summary.delivered) == (25, 25)
    assert summary.ok


def gateway_by_lane(device_id: str) -> str:
    return f"GW-{sum(device_id.encode()) % 3}"  # three gateways, each device always behind the same one


def test_gateway_mode_counts_events_and_sends_fewer_messages(fake_producers: list[FakeProducer]) -> None:
    simulator = make_simulator(malformed_share=0.05)
    summary = run_simulation(
        "b:1", TOPIC, simulator, 100_000, count=300, gateway=GatewayBatcher(gateway_by_lane, 60_000)
    )
    assert summary.ok
    assert (summary.sent, summary.delivered, summary.failed) == (300, 300, 0)
    (producer,) = fake_producers
    envelopes = [m for m in producer.produced if m.headers()]
    assert 0 < len(producer.produced) < 300
    singles = [m for m in producer.produced if not m.headers()]
    assert sum(int(dict(m.headers() or [])["n"]) for m in envelopes) + len(singles) == 300
    assert all(
        len(orjson.loads(m.value() or b"")["events"]) == int(dict(m.headers() or [])["n"]) for m in envelopes
    )


def test_a_failed_envelope_counts_every_event_in_it(fake_producers: list[FakeProducer]) -> None:
    OPTIONS["fail_every"] = 1
    summary = run_simulation(
        "b:1", TOPIC, make_simulator(), 100_000, count=50, gateway=GatewayBatcher(gateway_by_lane, 60_000)
    )
    assert (summary.delivered, summary.failed) == (0, 50)
