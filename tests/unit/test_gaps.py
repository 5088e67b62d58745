"""Faust's consumer never commits past messages that were not handed to a stream: a commit must start at
the committed offset (Kafka's next offset to read), whatever Faust's own rule says."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

import pytest
from faust.types import TP as TOPIC_PARTITION

from pipeline.worker import gaps
from pipeline.worker.gaps import refuse_gaps

TP = TOPIC_PARTITION("raw.explosives", 0)


def consumer(acked: list[int], committed: int | None) -> Any:
    fake = SimpleNamespace(_add_gap=None, calls=[])
    fake._acked = defaultdict(list, {TP: acked})
    fake._committed_offset = defaultdict(lambda: None, {TP: committed})

    def faust_rule(tp: Any) -> int | None:  # Faust's: commits the first run of acknowledged offsets
        fake.calls.append(tp)
        return max(fake._acked[tp]) + 1 if fake._acked[tp] else None

    fake._new_offset = faust_rule
    refuse_gaps(fake)
    return fake


def test_a_commit_that_would_skip_the_message_at_the_committed_offset_is_refused() -> None:
    fake = consumer([387, 388, 389], committed=386)  # 386 was never handed to a stream
    assert fake._new_offset(TP) is None and fake.calls == []


def test_a_commit_from_the_committed_offset_goes_through() -> None:
    fake = consumer([386, 387, 388], committed=386)
    assert fake._new_offset(TP) == 389 and fake.calls == [TP]


def test_a_never_committed_partition_and_no_acks_are_left_to_faust() -> None:
    assert consumer([5, 6], committed=None)._new_offset(TP) == 7
    assert consumer([], committed=12)._new_offset(TP) is None


def test_a_refused_gap_has_the_partition_read_again_from_its_committed_offset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gaps, "REREAD_AFTER_S", 0.01)
    fake = consumer([], committed=354)
    sought: list[tuple[Any, int]] = []
    fake.assignment = lambda: {TP}

    async def seek(tp: Any, offset: int) -> None:
        sought.append((tp, offset))

    fake.seek = seek

    async def jump() -> None:
        await fake._add_gap(TP, 354, 465)
        assert sought == []  # not while the fetch loop hands over the message after the jump
        await asyncio.sleep(0.05)

    asyncio.run(jump())
    assert sought == [(TP, 354)]


def with_offsets(faust: int | None, kafka: dict[Any, int], calls: list[str] | None = None) -> Any:
    """A Faust consumer whose aiokafka group coordinator knows ``kafka`` (-1: never committed)."""
    calls = [] if calls is None else calls

    async def fetch_committed_offsets(tps: set[Any]) -> dict[Any, Any]:
        calls.append("commits")
        return {tp: SimpleNamespace(offset=kafka.get(tp, -1)) for tp in tps}

    async def call_thread(fn: Any, *args: Any) -> Any:
        return await fn(*args)

    async def earliest_offsets(*tps: Any) -> dict[Any, int]:
        calls.append("earliest")
        return dict.fromkeys(tps, 3)

    coordinator = SimpleNamespace(fetch_committed_offsets=fetch_committed_offsets)
    thread = SimpleNamespace(
        call_thread=call_thread, _ensure_consumer=lambda: SimpleNamespace(_coordinator=coordinator)
    )
    return SimpleNamespace(
        _committed_offset=defaultdict(lambda: None, {TP: faust}),
        _thread=thread,
        earliest_offsets=earliest_offsets,
    )


def test_the_committed_offset_is_faust_s_else_kafka_s_else_the_earliest() -> None:
    assert asyncio.run(gaps.committed_offset(with_offsets(121, {TP: 7}), TP)) == 121
    assert asyncio.run(gaps.committed_offset(with_offsets(None, {TP: 121}), TP)) == 121  # not yet sought
    assert asyncio.run(gaps.committed_offset(with_offsets(None, {}), TP)) == 3  # never committed: earliest


def test_kafka_is_asked_once_for_many_partitions() -> None:
    others = [TOPIC_PARTITION("raw.explosives", p) for p in (1, 2)]
    calls: list[str] = []
    fake = with_offsets(None, {TP: 10, others[0]: 20}, calls)
    found = asyncio.run(gaps.kafka_committed_offsets(fake, [TP, *others]))
    assert found == {TP: 10, others[0]: 20, others[1]: 3}
    assert calls == ["commits", "earliest"]


def test_without_aiokafka_s_coordinator_each_partition_is_asked_through_the_public_call() -> None:
    async def committed(tp: Any) -> int | None:
        return 42

    async def call_thread(fn: Any, *args: Any) -> Any:
        return await fn(*args)

    thread = SimpleNamespace(
        call_thread=call_thread, _ensure_consumer=lambda: SimpleNamespace(committed=committed)
    )
    fake = SimpleNamespace(_committed_offset=defaultdict(lambda: None), _thread=thread)
    assert asyncio.run(gaps.kafka_committed_offsets(fake, [TP])) == {TP: 42}
