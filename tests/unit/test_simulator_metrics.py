"""The simulator's metrics: events Kafka acknowledged and refused, by family (fake producer)."""

from __future__ import annotations

from collections import Counter

from prometheus_client import REGISTRY

from pipeline.city import build_city
from pipeline.contracts.reference import DeviceFamily
from pipeline.simulate import run_simulation
from pipeline.simulate.gateway import GatewayBatcher, GatewayScope, gateway_lookup
from tests.unit.test_simulate_publisher import OPTIONS, FakeProducer, fake_producers
from tests.unit.test_simulate_publisher_families import city_messages

__all__ = ["fake_producers"]

TOPICS = {family: f"test.raw.{family.value}" for family in DeviceFamily}
FAMILY_OF = {topic: family for family, topic in TOPICS.items()}


def counted(name: str) -> dict[DeviceFamily, float]:
    return {f: REGISTRY.get_sample_value(name, {"family": f.value}) or 0.0 for f in DeviceFamily}


def grown(before: dict[DeviceFamily, float], after: dict[DeviceFamily, float]) -> dict[DeviceFamily, float]:
    return {f: after[f] - before[f] for f in DeviceFamily if after[f] != before[f]}


def test_deliveries_and_failures_are_counted_by_family(fake_producers: list[FakeProducer]) -> None:
    OPTIONS.update(topics=set(TOPICS.values()), fail_every=7)
    sent_before = counted("warmcity_simulator_sent_total")
    failed_before = counted("warmcity_simulator_delivery_failures_total")
    summary = run_simulation("b:1", TOPICS, city_messages(700), 100_000, count=700)

    (producer,) = fake_producers
    delivered: Counter[DeviceFamily] = Counter()
    failed: Counter[DeviceFamily] = Counter()
    for n, message in enumerate(producer.produced, start=1):  # the fake fails every 7th delivery
        (failed if n % 7 == 0 else delivered)[FAMILY_OF[message.topic()]] += 1
    assert sum(failed.values()) == summary.failed == 100
    assert grown(sent_before, counted("warmcity_simulator_sent_total")) == dict(delivered)
    assert grown(failed_before, counted("warmcity_simulator_delivery_failures_total")) == dict(failed)


def test_an_envelope_counts_its_events(fake_producers: list[FakeProducer]) -> None:
    OPTIONS.update(topics=set(TOPICS.values()))
    messages = city_messages(600)
    devices = {d.device_id: d for d in build_city("small", 7).devices}
    batcher = GatewayBatcher(gateway_lookup(devices, GatewayScope("district")), 5_000.0)
    before = counted("warmcity_simulator_sent_total")
    summary = run_simulation("b:1", TOPICS, messages, 100_000, count=600, gateway=batcher)

    (producer,) = fake_producers
    assert len(producer.produced) < 600  # envelopes, not events
    assert summary.ok
    by_family = Counter(m.family for m in messages)
    assert grown(before, counted("warmcity_simulator_sent_total")) == dict(by_family)
