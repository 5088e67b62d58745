"""ServerDialect: versions parsed, features gated, markers and guarded statements rendered per server."""

from __future__ import annotations

import pytest

from pipeline.storage.dialect import FEATURES, DialectError, ServerDialect
from pipeline.storage.migrate import Migration, load_migrations

OLD = ServerDialect.from_version("18.16.1")
NEW = ServerDialect.from_version("26.9.2.1")


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("18.16.1", (18, 16, 1, 0)),
        ("26.9.2.1", (26, 9, 2, 1)),
        ("24.3.1.2672-lts", (24, 3, 1, 2672)),
        ("19.6", (19, 6, 0, 0)),
        (" 20.5.4.40\n", (20, 5, 4, 40)),
    ],
)
def test_versions_are_parsed(text: str, version: tuple[int, int, int, int]) -> None:
    assert ServerDialect.from_version(text).version == version


@pytest.mark.parametrize("text", ["", "version 18.16", "eighteen", "18", "v26.9"])
def test_a_bad_version_is_named(text: str) -> None:
    with pytest.raises(DialectError, match=f"server version {text!r} is not a ClickHouse version"):
        ServerDialect.from_version(text)


def test_version_text_keeps_what_the_server_said() -> None:
    assert OLD.version_text == "18.16.1"
    assert NEW.version_text == "26.9.2.1"


@pytest.mark.parametrize(
    ("version", "low_cardinality", "ttl", "codecs", "rbac"),
    [
        ("18.16.1", False, False, False, False),
        ("19.1.6", False, False, True, False),
        ("19.3.3", True, False, True, False),
        ("19.5.4", True, False, True, False),
        ("19.6.2", True, True, True, False),
        ("20.4.9", True, True, True, False),
        ("20.5.1", True, True, True, True),
        ("26.9.2.1", True, True, True, True),
    ],
)
def test_features_by_version(
    version: str, low_cardinality: bool, ttl: bool, codecs: bool, rbac: bool
) -> None:
    dialect = ServerDialect.from_version(version)
    assert (dialect.low_cardinality, dialect.ttl, dialect.codecs, dialect.rbac) == (
        low_cardinality,
        ttl,
        codecs,
        rbac,
    )
    assert {name: dialect.supports(name) for name in FEATURES} == {
        "low_cardinality": low_cardinality,
        "ttl": ttl,
        "codecs": codecs,
        "rbac": rbac,
    }


def test_an_unknown_feature_is_named() -> None:
    with pytest.raises(DialectError, match=r"unknown ClickHouse feature 'ttls' \(known: codecs, "):
        NEW.supports("ttls")


@pytest.mark.parametrize(
    ("marked", "old", "new"),
    [
        ("district /*LC*/String,", "district String,", "district LowCardinality(String),"),
        ("d /*LC*/ String", "d String", "d LowCardinality(String)"),
        ("code /*LC*/FixedString(2)", "code FixedString(2)", "code LowCardinality(FixedString(2))"),
        ("m /*LC*/Nullable(String)", "m Nullable(String)", "m LowCardinality(Nullable(String))"),
        ("t DateTime /*CODEC(Delta, ZSTD(3))*/,", "t DateTime,", "t DateTime CODEC(Delta, ZSTD(3)),"),
        ("x UInt32 /* CODEC(T64) */\n", "x UInt32\n", "x UInt32 CODEC(T64)\n"),
        ("s String -- a comment", "s String -- a comment", "s String -- a comment"),
        ("s String /* not a marker */", "s String /* not a marker */", "s String /* not a marker */"),
    ],
)
def test_markers_render_per_server(marked: str, old: str, new: str) -> None:
    assert OLD.render(marked) == old
    assert NEW.render(marked) == new


def test_lc_without_a_type_is_an_error() -> None:
    with pytest.raises(DialectError, match=r"/\*LC\*/ must be followed by a type name"):
        NEW.render("x /*LC*/ ,")


GUARDED = """-- header
CREATE TABLE a (x /*LC*/String) ENGINE = Log;

-- requires: ttl
ALTER TABLE a MODIFY TTL now() + INTERVAL 1 DAY;

-- requires: ttl, rbac
GRANT SELECT ON a TO r;

SELECT 1;
"""


def test_guarded_statements_are_dropped_where_a_feature_is_missing() -> None:
    old = Migration(9, "guarded", GUARDED).statements(OLD)
    assert old == ["CREATE TABLE a (x String) ENGINE = Log", "SELECT 1"]
    assert OLD.dropped(GUARDED) == [("ttl",), ("ttl", "rbac")]
    middle = ServerDialect.from_version("19.6.2")
    assert Migration(9, "guarded", GUARDED).statements(middle) == [
        "CREATE TABLE a (x LowCardinality(String)) ENGINE = Log",
        "ALTER TABLE a MODIFY TTL now() + INTERVAL 1 DAY",
        "SELECT 1",
    ]
    assert middle.dropped(GUARDED) == [("rbac",)]
    assert len(Migration(9, "guarded", GUARDED).statements(NEW)) == 4
    assert NEW.dropped(GUARDED) == []


def test_without_a_dialect_the_file_runs_as_written() -> None:
    # Markers are comments, so the unrendered text is valid SQL; guards are ignored.
    assert Migration(9, "guarded", GUARDED).statements()[0] == "CREATE TABLE a (x /*LC*/String) ENGINE = Log"
    assert len(Migration(9, "guarded", GUARDED).statements()) == 4


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("-- requires: ttls\nSELECT 1;", r"unknown ClickHouse feature 'ttls'"),
        ("-- requires:\nSELECT 1;", r"names no feature"),
        ("-- requires: ttl,\nSELECT 1;", r"names no feature"),
        ("SELECT 1;\n-- requires: ttl\n", r"followed by no statement"),
        ("SELECT\n-- requires: ttl\n1;", r"must come before its statement"),
    ],
)
def test_bad_guards_are_errors(sql: str, message: str) -> None:
    with pytest.raises(DialectError, match=message):
        NEW.render(sql)


def test_the_checksum_is_that_of_the_file_whatever_the_server() -> None:
    migration = Migration(9, "guarded", GUARDED)
    before = migration.checksum
    migration.statements(OLD)
    migration.statements(NEW)
    assert migration.checksum == before == Migration(9, "other", GUARDED).checksum


def test_project_migrations_render_for_both_servers() -> None:
    by_version = {m.version: m for m in load_migrations()}
    analyst = by_version[5]
    old, new = analyst.statements(OLD), analyst.statements(NEW)
    assert len(old) == len(new)
    assert not any("LowCardinality" in s for s in old)
    assert not any("/*LC*/" in s for s in new)
    marked = sum(s.count("/*LC*/String") for s in analyst.statements())
    assert marked == 19
    assert sum(s.count("LowCardinality(String)") for s in new) == marked
    retention = by_version[6]
    assert retention.statements(OLD) == []
    assert OLD.dropped(retention.sql) == [("ttl",)] * 4
    assert [s.split(" MODIFY")[0] for s in retention.statements(NEW)] == [
        "ALTER TABLE plate_reads",
        "ALTER TABLE device_events",
        "ALTER TABLE plate_reads_by_plate",
        "ALTER TABLE device_events_by_subject",
    ]
