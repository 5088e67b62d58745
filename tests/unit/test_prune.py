"""Planning of ``warmcity storage prune``: which day partitions are old enough to drop (pure)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from pipeline.storage.prune import EVENT_TABLES, DayPartition, PruneError, cutoff, expired

TODAY = date(2026, 12, 1)


def day(table: str, partition_id: str, rows: int = 10) -> DayPartition:
    return DayPartition(table, partition_id, rows, rows * 100)


def test_the_cutoff_keeps_n_whole_days() -> None:
    assert cutoff(TODAY, 1) == date(2026, 11, 30)
    assert cutoff(TODAY, 400) == date(2025, 10, 27)


@pytest.mark.parametrize("days", [0, -3])
def test_a_cutoff_below_one_day_is_refused(days: int) -> None:
    with pytest.raises(PruneError, match=f"--older-than-days must be at least 1, got {days}"):
        cutoff(TODAY, days)


def test_only_days_before_the_cutoff_are_dropped() -> None:
    partitions = [
        day("plate_reads", "20251026"),  # every row older than 400 days
        day("plate_reads", "20251027"),  # the first day kept: its last hours are 400 days old only tonight
        day("plate_reads", "20261130"),
    ]
    assert [p.partition_id for p in expired(partitions, TODAY, 400)] == ["20251026"]
    assert [p.partition_id for p in expired(partitions, TODAY, 1)] == ["20251026", "20251027"]
    assert expired(partitions, TODAY, 500) == []


def test_the_plan_goes_table_by_table_oldest_first() -> None:
    partitions = [
        day("device_events_by_subject", "20240102"),
        day("plate_reads", "20240105"),
        day("device_events", "20240101"),
        day("plate_reads", "20240101"),
        day("plate_reads_by_plate", "20240103"),
    ]
    plan = expired(partitions, TODAY, 30)
    assert [(p.table, p.partition_id) for p in plan] == [
        ("plate_reads", "20240101"),
        ("plate_reads", "20240105"),
        ("device_events", "20240101"),
        ("plate_reads_by_plate", "20240103"),
        ("device_events_by_subject", "20240102"),
    ]
    assert {p.table for p in plan} == set(EVENT_TABLES)


@pytest.mark.parametrize(
    ("partition_id", "message"),
    [("202401", "is not a day"), ("tuple()", "is not a day"), ("20241301", "is not a valid date")],
)
def test_a_partition_that_is_not_a_day_stops_the_plan(partition_id: str, message: str) -> None:
    partitions = [day("plate_reads", "20240101"), day("device_events", partition_id)]
    with pytest.raises(PruneError, match=re.escape(f"device_events: partition '{partition_id}' {message}")):
        expired(partitions, TODAY, 30)


def test_a_partition_knows_its_day() -> None:
    assert day("plate_reads", "20250228").day == date(2025, 2, 28)
