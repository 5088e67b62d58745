"""The stream clock: 'now' for time-driven rules is the earliest event time over the partitions that can
still hold older events; a partition stops counting only when read to its end and silent for a while."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from pipeline.worker import detection
from pipeline.worker.detection import NEVER, StreamClock

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
A, B, C = ("raw.camera", 0), ("raw.camera", 1), ("raw.plate", 0)


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def wall(monkeypatch: pytest.MonkeyPatch) -> FakeMonotonic:
    fake = FakeMonotonic()
    monkeypatch.setattr(detection, "time", SimpleNamespace(monotonic=fake))
    return fake


def test_nothing_heard_is_never() -> None:
    assert StreamClock().now == NEVER


def test_now_is_the_earliest_live_partition(wall: FakeMonotonic) -> None:
    clock = StreamClock(idle_s=10)
    clock.saw(A, T0 + timedelta(minutes=5))
    clock.saw(B, T0)
    clock.saw(A, T0 + timedelta(minutes=1))  # older than what A already showed: A's time does not go back
    assert clock.now == T0


def test_an_idle_partition_read_to_its_end_stops_holding_time(wall: FakeMonotonic) -> None:
    clock = StreamClock(idle_s=10)
    clock.saw(A, T0)
    clock.backlog(A, 0)
    wall.value += 11
    clock.saw(B, T0 + timedelta(minutes=5))
    assert clock.now == T0 + timedelta(minutes=5)


def test_a_partition_with_a_backlog_holds_time_however_long_it_is_silent(wall: FakeMonotonic) -> None:
    """The failure this guards against: under load one partition is read late; meanwhile the others are
    minutes of event time ahead, and its cameras would be declared offline."""
    clock = StreamClock(idle_s=10)
    clock.saw(A, T0)
    clock.backlog(A, 250)
    wall.value += 600
    clock.saw(B, T0 + timedelta(minutes=20))
    assert clock.now == T0
    clock.saw(A, T0 + timedelta(minutes=19))
    clock.backlog(A, 0)
    assert clock.now == T0 + timedelta(minutes=19)


def test_an_unknown_backlog_counts_as_read_to_its_end(wall: FakeMonotonic) -> None:
    clock = StreamClock(idle_s=10)
    clock.saw(A, T0)
    clock.backlog(A, None)
    wall.value += 11
    clock.saw(B, T0 + timedelta(minutes=5))
    assert clock.now == T0 + timedelta(minutes=5)


def test_when_every_partition_is_idle_now_is_the_latest_time_read(wall: FakeMonotonic) -> None:
    clock = StreamClock(idle_s=10)
    clock.saw(A, T0)
    clock.saw(C, T0 + timedelta(minutes=3))
    wall.value += 11
    assert clock.now == T0 + timedelta(minutes=3)


def test_an_assigned_partition_not_yet_read_holds_time_until_idle(wall: FakeMonotonic) -> None:
    clock = StreamClock(idle_s=10)
    clock.saw(A, T0 + timedelta(minutes=5))
    clock.assigned([A, B])  # A is already known: its time stays
    assert clock.now == NEVER
    wall.value += 5
    clock.saw(A, T0 + timedelta(minutes=6))
    assert clock.now == NEVER
    clock.saw(B, T0 + timedelta(minutes=1))
    assert clock.now == T0 + timedelta(minutes=1)


def test_an_assigned_empty_partition_stops_holding_time_after_idle_s(wall: FakeMonotonic) -> None:
    clock = StreamClock(idle_s=10)
    clock.assigned([A, B])
    clock.saw(A, T0)
    wall.value += 11
    clock.saw(A, T0 + timedelta(minutes=2))
    assert clock.now == T0 + timedelta(minutes=2)


def test_a_revoked_partition_no_longer_holds_time(wall: FakeMonotonic) -> None:
    clock = StreamClock(idle_s=10)
    clock.saw(A, T0)
    clock.backlog(A, 1000)
    clock.saw(B, T0 + timedelta(minutes=5))
    clock.revoked([A, C])  # C was never known: nothing happens
    assert clock.now == T0 + timedelta(minutes=5)


def test_backlog_of_an_unknown_partition_is_ignored(wall: FakeMonotonic) -> None:
    clock = StreamClock(idle_s=10)
    clock.backlog(A, 5)
    assert clock.now == NEVER
