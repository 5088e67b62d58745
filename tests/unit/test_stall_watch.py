"""The stalled-partition watchdog: a raw partition with messages not committed and no commit progress for
stall_s is revived once, and reported hopeless give_up_s later unless it committed since; progress, a
fully committed partition or a round that cannot judge resets it. Faust's gaps are refused."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from pipeline.worker.gaps import refuse_gaps
from pipeline.worker.stall_watch import StalledPartitions, StallWatch, revive

A, B = ("raw.camera", 5), ("raw.plate", 0)


NONE: dict[Any, int | None] = {}


def test_a_partition_whose_commit_never_moves_is_revived_then_hopeless() -> None:
    watch = StallWatch(stall_s=30, give_up_s=100)
    assert watch.observe(NONE, {A: 22}, 0) == ([], [])
    assert watch.observe(NONE, {A: 22}, 29) == ([], [])
    assert watch.observe(NONE, {A: 22}, 30) == ([A], [])
    assert watch.observe(NONE, {A: 22}, 100) == ([], [])
    assert watch.observe(NONE, {A: 22}, 130) == ([], [A])


def test_commit_progress_resets_the_clock() -> None:
    watch = StallWatch(stall_s=100, give_up_s=100)
    watch.observe({A: 5, B: 5}, {A: 50, B: 5}, 0)  # B: all committed, nothing to watch
    assert watch.observe({A: 12, B: 5}, {A: 50, B: 5}, 99) == ([], [])  # A committed on
    assert watch.observe({A: 12, B: 5}, {A: 60, B: 5}, 198) == ([], [])  # more arrived: not progress
    assert watch.observe({A: 12, B: 5}, {A: 60, B: 5}, 199) == ([A], [])
    assert watch.observe({A: 30}, {A: 60}, 210) == ([], [])  # committed after the revival: healed
    assert watch.observe({A: 30}, {A: 60}, 310) == ([A], [])  # a new stall: revived again


def test_a_commit_stuck_behind_messages_read_past_it_is_a_stall() -> None:
    # Faust skipped messages (gaps.py refuses to count them done): reads go on, the commit stays.
    watch = StallWatch(stall_s=30, give_up_s=100)
    assert watch.observe({A: 354}, {A: 1000}, 0) == ([], [])
    assert watch.observe({A: 354}, {A: 1142}, 30) == ([A], [])
    assert watch.observe({A: 354}, {A: 1142}, 60) == ([], [])  # the seek is under way
    assert watch.observe({A: 1142}, {A: 1142}, 70) == ([], [])  # healed: all committed
    assert watch.observe({A: 354}, {A: 1200}, 80) == ([], [])  # watched again from scratch


def test_fully_committed_empty_or_unknown_partitions_are_not_stalled() -> None:
    watch = StallWatch(stall_s=10)
    for now in (0, 20, 40):
        assert watch.observe({A: 5, B: -1001}, {A: 5, B: 0, (B[0], 1): None}, now) == ([], [])


def test_a_round_that_cannot_judge_starts_the_clocks_again() -> None:
    watch = StallWatch(stall_s=30)
    watch.observe(NONE, {A: 5}, 0)
    watch.reset()  # e.g. the broker was away at 10 s
    assert watch.observe(NONE, {A: 5}, 35) == ([], [])
    assert watch.observe(NONE, {A: 5}, 65) == ([A], [])


def test_partitions_no_longer_assigned_are_forgotten() -> None:
    watch = StallWatch(stall_s=10)
    watch.observe(NONE, {A: 5}, 0)
    watch.observe(NONE, {B: 5}, 5)  # A revoked
    assert watch.observe(NONE, {A: 5, B: 5}, 15) == ([B], [])  # A starts again from 15


def test_a_refused_gap_is_not_counted_done() -> None:
    consumer = SimpleNamespace(_add_gap=None, _new_offset=lambda tp: None)
    refuse_gaps(consumer)
    refuse = consumer._add_gap
    assert asyncio.run(refuse(SimpleNamespace(topic="raw.school", partition=2), 176, 232)) is None
    refuse_gaps(consumer)
    assert consumer._add_gap is refuse  # installed once


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
    assert "raw.camera[5]" in text and "raw.plate[0]" in text and "120 s" in text
