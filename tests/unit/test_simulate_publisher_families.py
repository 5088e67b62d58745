"""The publisher with the city simulator: each family to its own topic, counts per family (fake producer)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pipeline.city import build_city
from pipeline.contracts.reference import DeviceFamily
from pipeline.simulate import (
    CitySimulator,
    MessageKind,
    SimulationError,
    SimulationProgress,
    SimulationWorld,
    run_simulation,
)
from tests.unit.test_simulate_publisher import OPTIONS, FakeProducer, fake_producers

__all__ = ["fake_producers"]


def city_messages(count: int) -> list[Any]:
    world = SimulationWorld.from_city(build_city("small", 7))
    simulator = CitySimulator(
        world, 7, 20.0, start=datetime(2026, 12, 1, 2, tzinfo=UTC), malformed_share=0.05
    )
    return simulator.take(count)


def test_each_family_goes_to_its_own_topic_with_counts_per_family(fake_producers: list[FakeProducer]) -> None:
    topics = {family: f"test.raw.{family.value}" for family in DeviceFamily}
    OPTIONS["topics"] = set(topics.values())
    messages = city_messages(3000)
    seen: list[SimulationProgress] = []
    summary = run_simulation(
        "b:1", topics, messages, 100_000, count=3000, progress=seen.append, progress_every_s=0.0
    )
    assert summary.ok and summary.sent == 3000
    (producer,) = fake_producers
    assert [m.topic() for m in producer.produced] == [topics[m.family] for m in messages]
    assert sum(t.sent for t in summary.families.values()) == 3000
    assert set(summary.families) == {m.family for m in messages}
    assert list(summary.families) == [f for f in DeviceFamily if f in summary.families]  # family order
    for family, tally in summary.families.items():
        assert tally.malformed == sum(
            m.family is family and m.kind is MessageKind.MALFORMED for m in messages
        )
    assert summary.malformed == sum(t.malformed for t in summary.families.values())
    assert seen[-1].by_family == {f: t.sent for f, t in summary.families.items()} or seen[-1].sent < 3000


def test_every_family_topic_is_checked_before_sending(fake_producers: list[FakeProducer]) -> None:
    topics = {family: f"test.raw.{family.value}" for family in DeviceFamily}
    OPTIONS["topics"] = set(topics.values()) - {"test.raw.school"}
    with pytest.raises(SimulationError, match=r"test\.raw\.school"):
        run_simulation("b:1", topics, city_messages(10), 100, count=10)
    assert not fake_producers[0].produced
