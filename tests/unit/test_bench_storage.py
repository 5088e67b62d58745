"""``warmcity bench storage``: the sink's rows stored twice in chDB, with LZ4 only and as migrated; the
codecs of migration 0007 make the event tables smaller and leave the tables without codecs alone."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from pipeline.bench.storage_size import (
    EVENT_TABLES,
    StorageBenchError,
    codec_only,
    event_rows,
    measure_storage,
    tsv_line,
)
from pipeline.cli.main import cli
from pipeline.settings import PrivacySettings, Settings
from pipeline.storage.migrate import Migration, load_migrations

pytest.importorskip("chdb.session")

EVENTS = 3_000
Rows = dict[str, list[tuple[object, ...]]]


def settings() -> Settings:
    return replace(Settings.load(), privacy=PrivacySettings(hmac_key=SecretStr("k" * 32)))


@pytest.fixture(scope="module")
def rows() -> Rows:
    return event_rows(settings(), EVENTS, seed=7)


def test_every_event_becomes_one_row_of_an_event_table(rows: Rows) -> None:
    assert set(rows) == set(EVENT_TABLES)
    assert sum(len(table_rows) for table_rows in rows.values()) == EVENTS
    assert len(rows["plate_reads"]) > len(rows["device_events"]) > 0
    for table, table_rows in rows.items():
        assert all(len(row) == len(EVENT_TABLES[table]) for row in table_rows), table


def test_the_codecs_shrink_the_event_tables_and_nothing_else(rows: Rows) -> None:
    result = measure_storage(rows, EVENTS)
    assert int(result.server_version.split(".")[0]) >= 26
    assert result.rows == {table: len(table_rows) for table, table_rows in rows.items()}
    tables = result.tables()
    for table in ("plate_reads", "device_events", "plate_reads_by_plate"):
        _, lz4, migrated = tables[table]
        assert 0 < migrated < 0.85 * lz4, (table, lz4, migrated)
    codecs = {(c.table, c.column): c.codec for c in result.columns}
    assert codecs[("plate_reads", "event_id")] == "CODEC(ZSTD(3))"
    assert codecs[("device_events", "payload")] == "CODEC(ZSTD(3))"
    assert codecs[("plate_reads", "ingested_at")] == "CODEC(DoubleDelta, LZ4)"
    assert codecs[("plate_reads", "district")] == ""
    for column in result.columns:  # a column without a codec is stored alike in both databases
        if not column.codec:
            assert column.migrated == pytest.approx(column.default_lz4, rel=0.05), column
    assert tables["cell_hourly"][1] > 0  # the materialized views filled the aggregates from the inserts


def test_only_migrations_made_of_codec_statements_are_left_out() -> None:
    by_version = {m.version: m for m in load_migrations()}
    assert codec_only(by_version[7])
    assert not any(codec_only(m) for v, m in by_version.items() if v != 7)
    mixed = Migration(99, "mixed", "-- requires: codecs\nALTER TABLE t MODIFY COLUMN a String CODEC(ZSTD);\n"
                                   "ALTER TABLE t MODIFY TTL d + INTERVAL 1 DAY;\n")  # fmt: skip
    with pytest.raises(StorageBenchError, match="0099_mixed mixes codec statements"):
        codec_only(mixed)


def test_tsv_escapes_what_would_split_a_row() -> None:
    line = tsv_line(("a\tb", "c\nd", "e\\f", 3, 1.5, datetime(2026, 12, 1, 9, 5, 7)))
    assert line == "a\\tb\tc\\nd\te\\\\f\t3\t1.5\t2026-12-01 09:05:07\n"


def test_the_command_prints_every_table_and_writes_json(tmp_path: object) -> None:
    output = f"{tmp_path}/storage.json"
    result = CliRunner().invoke(
        cli, ["bench", "storage", "--events", "500", "--output", output],
        env={"WARMCITY_PRIVACY_HMAC_KEY": ""},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "plate_reads " in result.output and "total" in result.output
    assert f"-> {output}" in result.output
