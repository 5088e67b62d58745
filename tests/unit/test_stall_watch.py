"""The stalled-partition watchdog: a raw partition with messages waiting and no read progress for
stall_s is revived once, and reported hopeless stall_s later; progress or an empty backlog resets it."""

from __future__ import annotations

import asyncio
from typing import Any

from pipeline.worker.stall_watch import StalledPartitions, StallWatch, revive

A, B = ("raw.camera", 5), ("raw.plate", 0)


def test_a_partition_that_never_moves_is_revived_then_hopeless() -> None:
    watch = StallWatch(stall_s=100)
    assert watch.observe({}, {A: 22}, 0) == ([], [])
    assert watch.observe({}, {A: 22}, 99) == ([], [])
    assert watch.observe({}, {A: 22}, 100) == ([A], [])
    assert watch.observe({}, {A: 22}, 150) == ([], [])
    assert watch.observe({}, {A: 22}, 200) == ([], [A])


def test_progress_or_no_backlog_resets_the_clock() -> None:
    watch = StallWatch(stall_s=100)
    watch.observe({A: 10, B: 4}, {A: 50, B: 5}, 0)  # B: read 4 of 0..4, nothing waiting
    assert watch.observe({A: 11, B: 4}, {A: 50, B: 5}, 100) == ([], [])  # A moved
    assert watch.observe({A: 11, B: 4}, {A: 50, B: 5}, 199) == ([], [])
    assert watch.observe({A: 11, B: 4}, {A: 50, B: 5}, 200) == ([A], [])
    assert watch.observe({A: 12, B: 4}, {A: 50, B: 5}, 310) == ([], [])  # it moved after the revival
    assert watch.observe({A: 12, B: 4}, {A: 50, B: 5}, 410) == ([A], [])  # a new stall: revived again


def test_an_empty_partition_and_an_unknown_end_are_not_stalled() -> None:
    watch = StallWatch(stall_s=10)
    for now in (0, 20, 40):
        assert watch.observe({}, {A: 0, B: None}, now) == ([], [])


def test_partitions_no_longer_assigned_are_forgotten() -> None:
    watch = StallWatch(stall_s=10)
    watch.observe({}, {A: 5}, 0)
    watch.observe({}, {B: 5}, 5)  # A revoked
    assert watch.observe({}, {A: 5, B: 5}, 15) == ([B], [])  # A starts again from 15


class FakeConsumer:
    """The little of Faust's consumer that ``revive`` touches, without an aiokafka underneath."""

    def __init__(self, committed: dict[Any, int]) -> None:
        self._buffered_partitions: set[Any] = {A}
        self._paused_partitions: set[Any] = {A}
        self._committed_offset = committed
        self._read_offset: dict[Any, int] = {}
        self.active: set[Any] = set()
        self.sought: list[tuple[Any, int]] = []

    def _get_active_partitions(self) -> set[Any]:
        return self.active

    def resume_partitions(self, tps: list[Any]) -> None:
        self._paused_partitions.difference_update(tps)

    async def earliest_offsets(self, *tps: Any) -> dict[Any, int]:
        return dict.fromkeys(tps, 7)

    async def seek(self, tp: Any, offset: int) -> None:
        self.sought.append((tp, offset))


def test_revive_puts_the_partition_back_and_seeks_it_to_its_committed_offset() -> None:
    consumer = FakeConsumer({A: 42})
    found = asyncio.run(revive(consumer, A))
    assert A in consumer.active and A not in consumer._buffered_partitions | consumer._paused_partitions
    assert consumer.sought == [(A, 42)]
    assert "active=False" in found and "buffered=True" in found and "committed=42" in found
    assert "aiokafka state unknown" in found and found.endswith("sought to offset 42")


def test_a_partition_never_committed_is_sought_to_its_earliest_offset() -> None:
    consumer = FakeConsumer({})
    assert asyncio.run(revive(consumer, A)).endswith("sought to offset 7")
    assert consumer.sought == [(A, 7)]


def test_the_crash_reason_names_the_partitions() -> None:
    text = str(StalledPartitions([A, B], 120))
    assert "raw.camera[5]" in text and "raw.plate[0]" in text and "240 s" in text
