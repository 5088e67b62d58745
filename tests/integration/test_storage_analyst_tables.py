"""The analyst tables on Debian's ClickHouse 18.16: each event once under replays, backfill, and pruning.

The figures are those of tests/unit/analyst_dataset.py, which tests/unit/test_migrations_chdb.py holds
26.x to. Rows go in as the sink writes them (clickhouse-driver, row form, built by pipeline/stages/rows.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from clickhouse_driver import Client

from pipeline.contracts.enriched import EnrichedEvent
from pipeline.settings import Settings
from pipeline.storage.client import clickhouse_client
from pipeline.storage.migrate import load_migrations, migrate
from pipeline.storage.prune import EVENT_TABLES
from pipeline.worker.child import settings_env
from tests.unit import analyst_dataset as data
from tests.unit import rule_factories as f

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(stack_settings: Settings, unique_database: str) -> Settings:
    return replace(
        stack_settings, clickhouse=stack_settings.clickhouse.model_copy(update={"database": unique_database})
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[Client]:
    admin = clickhouse_client(settings.clickhouse)
    yield admin
    admin.disconnect()


def insert(client: Client, table: str, events: list[EnrichedEvent]) -> None:
    columns, to_rows = data.INSERTS[table]
    client.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES", to_rows(events))


def rows(client: Client, query: str) -> list[tuple[str, ...]]:
    return [tuple(str(value) for value in row) for row in client.execute(query)]


def stop_merges(client: Client) -> None:
    for table in data.STORED_COPIES:
        client.execute(f"SYSTEM STOP MERGES {table}")


def assert_views_exact(client: Client) -> None:
    for table, copies in data.STORED_COPIES.items():
        assert rows(client, f"SELECT count() FROM {table}") == [(str(copies),)], table
    for view, (query, expected) in data.EXPECTED.items():
        assert rows(client, query) == expected, view


def test_every_view_gives_each_event_once(settings: Settings, client: Client) -> None:
    applied = migrate(settings.clickhouse)
    assert [m.version for m in applied] == [m.version for m in load_migrations()]
    assert client.execute("SELECT version()")[0][0].startswith("18.16")
    stop_merges(client)
    insert(client, "plate_reads", data.PLATE_READS)
    insert(client, "device_events", data.DEVICE_EVENTS)
    insert(client, "plate_reads", data.REPLAYED_PLATE_READS)
    insert(client, "device_events", data.REPLAYED_DEVICE_EVENTS)
    assert_views_exact(client)


def test_migrate_applies_0005_over_existing_rows_and_counts_them_once(
    settings: Settings, client: Client
) -> None:
    migrations = load_migrations()
    migrate(settings.clickhouse, migrations=[m for m in migrations if m.version <= 4])
    stop_merges(client)
    insert(client, "plate_reads", data.PLATE_READS)
    insert(client, "device_events", data.DEVICE_EVENTS)
    insert(client, "plate_reads", data.REPLAYED_PLATE_READS)  # a replay before 0005: backfilled twice
    applied = migrate(settings.clickhouse)
    assert [m.version for m in applied] == [5, 6, 7]
    insert(client, "device_events", data.REPLAYED_DEVICE_EVENTS)  # a replay after: through the views
    assert_views_exact(client)


def test_18_16_gets_no_low_cardinality_no_ttl_and_no_codecs(settings: Settings, client: Client) -> None:
    migrate(settings.clickhouse)
    types = [
        str(t)
        for (t,) in client.execute(
            f"SELECT type FROM system.columns WHERE database = '{settings.clickhouse.database}'"
        )
    ]
    assert types and not any("LowCardinality" in t for t in types)
    engines = client.execute(
        f"SELECT engine_full FROM system.tables WHERE database = '{settings.clickhouse.database}'"
    )
    assert not any("TTL" in str(engine) for (engine,) in engines)
    assert rows(client, "SELECT toString(version), name FROM schema_migrations WHERE version >= 6 "
                "ORDER BY version") == [
        ("6", "retention"), ("7", "codecs"),
    ]  # fmt: skip
    assert "compression_codec" not in {row[0] for row in client.execute("DESCRIBE TABLE system.columns")}


def prune_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **settings_env(settings)}
    return subprocess.run([sys.executable, "-m", "pipeline.cli.main", "storage", "prune", *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip


def partitions(client: Client, database: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {table: [] for table in EVENT_TABLES}
    for table, partition_id in client.execute(
        "SELECT table, partition_id FROM system.parts WHERE database = %(db)s AND active "
        "GROUP BY table, partition_id ORDER BY table, partition_id",
        {"db": database},
    ):
        if table in found:
            found[table].append(partition_id)
    return found


def test_prune_drops_the_days_older_than_n_from_every_event_table(settings: Settings, client: Client) -> None:
    database = settings.clickhouse.database
    migrate(settings.clickhouse)
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    ages = [500, 401, 399, 0]
    days = [(now - timedelta(days=age)).strftime("%Y%m%d") for age in ages]
    reads: list[Any] = [f.plate_read("蒙K00001", now - timedelta(days=age)) for age in ages]
    checks: list[Any] = [f.id_check(f.token(1), when=now - timedelta(days=age)) for age in ages]
    insert(client, "plate_reads", reads)
    insert(client, "device_events", checks)
    before = partitions(client, database)
    assert before == dict.fromkeys(EVENT_TABLES, days)
    aggregates_before = rows(client, "SELECT toString(sum(events)) FROM cell_hourly_totals")

    dry = prune_cli(settings, "--older-than-days", "400", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    listed = [line.split()[2:4] for line in dry.stdout.splitlines() if line.startswith("would drop ")]
    old = [f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in days[:2]]
    assert listed == [[table, day] for table in EVENT_TABLES for day in old]
    assert "would drop 8 partitions (8 rows)" in dry.stdout
    assert partitions(client, database) == before

    done = prune_cli(settings, "--older-than-days", "400")
    assert done.returncode == 0, done.stderr
    assert sum(line.startswith("dropping ") for line in done.stdout.splitlines()) == 8
    assert "dropped 8 partitions (8 rows)" in done.stdout
    assert partitions(client, database) == dict.fromkeys(EVENT_TABLES, days[2:])
    assert rows(client, "SELECT toString(count()) FROM plate_reads_dedup") == [("2",)]
    # The aggregates keep their history.
    assert (
        rows(client, "SELECT toString(sum(events)) FROM cell_hourly_totals") == aggregates_before == [("8",)]
    )

    again = prune_cli(settings, "--older-than-days", "400")
    assert again.returncode == 0, again.stderr
    assert "no day before" in again.stdout


def test_prune_names_what_is_wrong(settings: Settings, client: Client) -> None:
    missing = prune_cli(settings, "--older-than-days", "30")  # the database exists but was not migrated
    assert missing.returncode == 1
    assert f"database '{settings.clickhouse.database}' has no table plate_reads" in missing.stderr
    assert "warmcity migrate" in missing.stderr
    absent = prune_cli(settings, "--older-than-days", "30", "--database", "it_never_created")
    assert absent.returncode == 1
    assert "database 'it_never_created' does not exist" in absent.stderr
    zero = prune_cli(settings, "--older-than-days", "0")
    assert zero.returncode == 2
    assert "0 is not in the range x>=1" in zero.stderr
