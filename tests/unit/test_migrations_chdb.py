"""Every migration, rendered for chDB's ClickHouse (26.x), applied in process; the analyst views exact.

The same assertions run on Debian's 18.16 in tests/integration/test_storage_analyst_tables.py. A
database per test in one chDB session; merges are stopped on the source tables so that the replayed
copies are really there while the views are read.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest

from pipeline.storage.dialect import ServerDialect
from pipeline.storage.migrate import Migration, load_migrations
from tests.unit import analyst_dataset as data

chdb_session = pytest.importorskip("chdb.session")


class ChSession:
    """A chDB session with the little the tests need: run a statement, read rows as strings."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="chdb-")
        self._session = chdb_session.Session(self._folder.name)

    def run(self, sql: str) -> None:
        self._session.query(sql)

    def rows(self, sql: str) -> list[tuple[str, ...]]:
        text = self._session.query(sql, "TabSeparated").bytes().decode("utf-8")
        return [tuple(line.split("\t")) for line in text.splitlines()]

    def close(self) -> None:
        self._session.close()
        self._folder.cleanup()


@pytest.fixture(scope="module")
def session() -> Iterator[ChSession]:
    opened = ChSession()
    yield opened
    opened.close()


@pytest.fixture
def database(session: ChSession) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:8]}"
    session.run(f"CREATE DATABASE {name}")
    session.run(f"USE {name}")
    yield name
    session.run("USE default")
    session.run(f"DROP DATABASE {name}")


def dialect_of(session: ChSession) -> ServerDialect:
    return ServerDialect.from_version(session.rows("SELECT version()")[0][0])


def apply(session: ChSession, migrations: list[Migration]) -> None:
    dialect = dialect_of(session)
    for migration in migrations:
        for statement in migration.statements(dialect):
            session.run(statement)


def literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, datetime):
        return f"'{value:%Y-%m-%d %H:%M:%S}'"
    if isinstance(value, date):
        return f"'{value:%Y-%m-%d}'"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    raise TypeError(f"no SQL literal for {value!r}")


def insert(session: ChSession, table: str, events: list[Any]) -> None:
    columns, to_rows = data.INSERTS[table]
    values = ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in to_rows(events))
    session.run(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}")


def stop_merges(session: ChSession) -> None:
    for table in data.STORED_COPIES:
        session.run(f"SYSTEM STOP MERGES {table}")


def insert_all_then_replays(session: ChSession) -> None:
    insert(session, "plate_reads", data.PLATE_READS)
    insert(session, "device_events", data.DEVICE_EVENTS)
    insert(session, "plate_reads", data.REPLAYED_PLATE_READS)
    insert(session, "device_events", data.REPLAYED_DEVICE_EVENTS)


def assert_views_exact(session: ChSession) -> None:
    for table, copies in data.STORED_COPIES.items():
        assert session.rows(f"SELECT count() FROM {table}") == [(str(copies),)], table
    for view, (query, expected) in data.EXPECTED.items():
        assert session.rows(query) == expected, view


def test_every_view_gives_each_event_once(session: ChSession, database: str) -> None:
    apply(session, load_migrations())
    stop_merges(session)
    insert_all_then_replays(session)
    assert_views_exact(session)


def test_the_backfill_counts_rows_inserted_before_the_analyst_tables_once(
    session: ChSession, database: str
) -> None:
    migrations = load_migrations()
    apply(session, [m for m in migrations if m.version <= 4])
    stop_merges(session)
    insert(session, "plate_reads", data.PLATE_READS)
    insert(session, "device_events", data.DEVICE_EVENTS)
    insert(session, "plate_reads", data.REPLAYED_PLATE_READS)  # a replay before 0005: backfilled twice
    # 0006's MODIFY TTL would wait for ever for the mutation that applies it to existing parts, merges being
    # stopped; the TTL is the same without that mutation.
    session.run("SET materialize_ttl_after_modify = 0")
    try:
        apply(session, [m for m in migrations if m.version > 4])
    finally:
        session.run("SET materialize_ttl_after_modify = 1")
    insert(session, "device_events", data.REPLAYED_DEVICE_EVENTS)  # a replay after: through the views
    assert_views_exact(session)


def test_a_view_that_counts_wrong_is_caught(session: ChSession, database: str) -> None:
    # The assertions can fail: a third copy of every event read without FINAL is seen three times.
    apply(session, load_migrations())
    insert_all_then_replays(session)
    insert(session, "plate_reads", data.PLATE_READS)
    assert session.rows("SELECT count() FROM plate_reads_dedup") == [("4",)]
    assert session.rows("SELECT toString(count()) FROM plate_reads_by_plate") != [("4",)]


def test_rendered_for_26_the_analyst_tables_use_low_cardinality_and_the_event_tables_ttl(
    session: ChSession, database: str
) -> None:
    dialect = dialect_of(session)
    assert dialect.version[0] >= 26 and dialect.low_cardinality and dialect.ttl
    apply(session, load_migrations())
    stored = f"SELECT name FROM system.tables WHERE database = '{database}' AND engine LIKE '%MergeTree'"
    columns = session.rows(
        f"SELECT table, name, type FROM system.columns WHERE database = '{database}' AND table IN ({stored})"
    )
    types = {f"{table}.{column}": kind for table, column, kind in columns}
    assert types["plate_reads_by_plate.district"] == "LowCardinality(String)"
    assert types["device_events_by_subject.family"] == "LowCardinality(String)"
    assert types["cell_hourly.family"] == "LowCardinality(String)"
    assert types["plate_reads_by_plate.plate"] == "String"  # not marked: high cardinality
    assert types["plate_reads.district"] == "String"  # 0001 predates the markers
    # Stored columns only (views repeat them): each /*LC*/ marker of 0005 became one.
    assert sum(kind.startswith("LowCardinality") for kind in types.values()) == 19
    tables = session.rows(f"SELECT name, engine_full FROM system.tables WHERE database = '{database}'")
    engines = {row[0]: row[1] for row in tables}
    for table in ("plate_reads", "device_events", "plate_reads_by_plate", "device_events_by_subject"):
        assert "TTL event_time + toIntervalDay(400)" in engines[table], table
    assert "TTL" not in engines["cell_hourly"]


def test_rendered_for_26_the_event_tables_and_lookups_get_column_codecs(
    session: ChSession, database: str
) -> None:
    assert dialect_of(session).codecs
    apply(session, load_migrations())
    found = session.rows(
        f"SELECT table, name, compression_codec FROM system.columns WHERE database = '{database}' "
        "AND compression_codec != ''"
    )
    codecs = {f"{table}.{column}": codec for table, column, codec in found}
    assert codecs["plate_reads.event_id"] == "CODEC(ZSTD(3))"
    assert codecs["plate_reads.ingested_at"] == "CODEC(DoubleDelta, LZ4)"
    assert codecs["device_events.payload"] == "CODEC(ZSTD(3))"
    assert codecs["plate_reads_by_plate.lat"] == "CODEC(ZSTD(3))"
    assert codecs["device_events_by_subject.event_id"] == "CODEC(ZSTD(3))"
    assert {name.split(".")[0] for name in codecs} == {
        "plate_reads", "device_events", "plate_reads_by_plate", "device_events_by_subject",
    }  # fmt: skip
    assert len(codecs) == 22
    # A codec changes no type or default: the sink's inserts and the views see the same columns.
    assert session.rows(f"SELECT default_expression FROM system.columns WHERE database = '{database}' "
                        "AND table = 'plate_reads' AND name = 'ingested_at'") == [("now()",)]  # fmt: skip
    insert_all_then_replays(session)
    assert_views_exact(session)


def test_18_16_gets_the_same_statements_without_low_cardinality_ttl_or_codecs() -> None:
    old = ServerDialect.from_version("18.16.1")
    statements = [s for m in load_migrations() for s in m.statements(old)]
    assert not any("LowCardinality" in s or "TTL" in s or "CODEC" in s for s in statements)
    seven = next(m for m in load_migrations() if m.version == 7)
    assert seven.statements(old) == [] and len(seven.statements(ServerDialect.from_version("26.9"))) == 4
