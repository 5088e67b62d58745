"""Retention by hand: drop the day partitions of the event tables that are older than N days.

Servers from 19.6 on delete old rows themselves (TTL, migration 0006). 18.16 has no TTL, so
``warmcity storage prune`` does it there: the event tables are partitioned by ``toYYYYMMDD(event_time)``,
and a day partition goes as a whole once every row in it is older than N days (its day is before
``today - N``), with ``ALTER TABLE ... DROP PARTITION ID``, which frees the disk at once and costs no
merge. Rows are never deleted one by one, and the hourly aggregates, device status and alerts are not
touched: they keep their history.

Planning (``expired``) is pure; ``day_partitions`` and ``drop`` are the only calls to the server.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from clickhouse_driver import Client

from pipeline.errors import WarmcityError

EVENT_TABLES = ("plate_reads", "device_events", "plate_reads_by_plate", "device_events_by_subject")
"""The tables partitioned by day of ``event_time``, in the order they are pruned."""

_DAY_ID = re.compile(r"^\d{8}$")


class PruneError(WarmcityError):
    """Nothing was dropped: the request or the tables are not what pruning expects."""


@dataclass(frozen=True)
class DayPartition:
    """One day of one event table, as ``system.parts`` counts it (active parts only)."""

    table: str
    partition_id: str
    rows: int
    bytes_on_disk: int

    @property
    def day(self) -> date:
        if not _DAY_ID.match(self.partition_id):
            raise PruneError(
                f"{self.table}: partition {self.partition_id!r} is not a day (YYYYMMDD); "
                "is the table still PARTITION BY toYYYYMMDD(event_time)?"
            )
        try:
            return datetime.strptime(self.partition_id, "%Y%m%d").date()
        except ValueError:
            raise PruneError(f"{self.table}: partition {self.partition_id!r} is not a valid date") from None


def cutoff(today: date, older_than_days: int) -> date:
    """The first day kept: partitions of earlier days hold only rows older than ``older_than_days``."""
    if older_than_days < 1:
        raise PruneError(f"--older-than-days must be at least 1, got {older_than_days}")
    return today - timedelta(days=older_than_days)


def expired(partitions: Iterable[DayPartition], today: date, older_than_days: int) -> list[DayPartition]:
    """The partitions to drop, table by table (``EVENT_TABLES`` order), oldest day first."""
    first_kept = cutoff(today, older_than_days)
    old = [p for p in partitions if p.day < first_kept]
    return sorted(old, key=lambda p: (_table_rank(p.table), p.day))


def _table_rank(table: str) -> int:
    return EVENT_TABLES.index(table) if table in EVENT_TABLES else len(EVENT_TABLES)


def day_partitions(client: Client, database: str) -> list[DayPartition]:
    """The day partitions of the event tables of ``database``; refuses a database that lacks one."""
    if not client.execute("SELECT 1 FROM system.databases WHERE name = %(database)s", {"database": database}):
        raise PruneError(f"database {database!r} does not exist (pass the right --database)")
    present = {
        str(name)
        for (name,) in client.execute(
            "SELECT name FROM system.tables WHERE database = %(database)s AND name IN %(tables)s",
            {"database": database, "tables": EVENT_TABLES},
        )
    }
    missing = [table for table in EVENT_TABLES if table not in present]
    if missing:
        raise PruneError(
            f"database {database!r} has no table {', '.join(missing)}: run `warmcity migrate` first "
            "(or pass the right --database)"
        )
    rows = client.execute(
        "SELECT table, partition_id, sum(rows), sum(bytes_on_disk) FROM system.parts "
        "WHERE database = %(database)s AND active AND table IN %(tables)s "
        "GROUP BY table, partition_id",
        {"database": database, "tables": EVENT_TABLES},
    )
    return [DayPartition(str(t), str(pid), int(n), int(size)) for t, pid, n, size in rows]


def drop(client: Client, database: str, partition: DayPartition) -> None:
    # Both names go into the statement: the table must be an event table and the id eight digits.
    if partition.table not in EVENT_TABLES:
        raise PruneError(f"{partition.table!r} is not an event table ({', '.join(EVENT_TABLES)})")
    if not _DAY_ID.match(partition.partition_id):
        raise PruneError(f"{partition.table}: partition {partition.partition_id!r} is not a day (YYYYMMDD)")
    client.execute(
        f"ALTER TABLE `{database}`.`{partition.table}` DROP PARTITION ID '{partition.partition_id}'"
    )


def prune(
    client: Client,
    database: str,
    older_than_days: int,
    today: date,
    dry_run: bool = False,
    report: Callable[[DayPartition], None] = lambda _: None,
) -> list[DayPartition]:
    """Drop (or, with ``dry_run``, only list) the expired day partitions; ``report`` sees each one first."""
    plan = expired(day_partitions(client, database), today, older_than_days)
    for partition in plan:
        report(partition)
        if not dry_run:
            drop(client, database, partition)
    return plan
