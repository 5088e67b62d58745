"""Cluster mode of the renderer: every migration rendered ON CLUSTER parses, and has the layout it promises.

chDB (ClickHouse 26.x in process) has no cluster, so the statements are parsed there with ``EXPLAIN AST``,
not run; tests/integration/test_migrate_cluster.py runs them on a real 2 x 2 cluster of 18.16.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator

import pytest
from chdb.session import Session
from click.testing import CliRunner

from pipeline.cli.main import cli
from pipeline.storage.cluster import LEDGER_PATH, LEDGER_REPLICA, REPLICA_NAME, REPLICA_PATH, ClusterMode
from pipeline.storage.dialect import DialectError, ServerDialect
from pipeline.storage.migrate import Migration, cluster_ledger, load_migrations

DB, CLUSTER = "warmcity", "warmcity"
VERSIONS = ["18.16.1", "26.9.2.1"]
MIGRATIONS = load_migrations()
IDS = [f"{m.version:04d}_{m.name}" for m in MIGRATIONS]

_CREATE = re.compile(r"^CREATE TABLE IF NOT EXISTS (\w+)\s*\(", re.S)
_ENGINE = re.compile(r"ENGINE = (\w+)\(([^()]*)\)")


@pytest.fixture(scope="module")
def parser() -> Iterator[Session]:
    folder = tempfile.TemporaryDirectory(prefix="chdb-")
    session = Session(folder.name)  # type: ignore[no-untyped-call]
    yield session
    session.close()  # type: ignore[no-untyped-call]
    folder.cleanup()


def parsed(session: Session, statement: str) -> str:
    """The AST of ``statement`` as chDB's parser prints it; raises on a syntax error."""
    result = session.query(f"EXPLAIN AST {statement}", "TabSeparated")  # type: ignore[no-untyped-call]
    return str(result.bytes().decode())


def single(migration: Migration, version: str) -> list[str]:
    return migration.statements(ServerDialect.from_version(version))


def clustered(migration: Migration, version: str) -> list[str]:
    return migration.statements(ServerDialect.from_version(version).for_cluster(CLUSTER, DB))


def stored_tables() -> dict[str, tuple[str, str]]:
    """Table -> (engine, parameters) of every CREATE TABLE of the migrations, as written for one server."""
    tables = {}
    for migration in MIGRATIONS:
        for statement in single(migration, VERSIONS[-1]):
            if match := _CREATE.match(statement):
                engine = _ENGINE.search(statement)
                assert engine is not None
                tables[match.group(1)] = (engine.group(1), engine.group(2))
    return tables


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("migration", MIGRATIONS, ids=IDS)
def test_every_cluster_statement_parses(parser: Session, migration: Migration, version: str) -> None:
    statements = clustered(migration, version)
    assert statements or (version == "18.16.1" and migration.name in {"retention", "codecs"})
    for statement in statements:
        ast = parsed(parser, statement)
        # The parser saw the whole statement with the database (not a prefix of it).
        assert ast.split("\n", 1)[0].split()[0] in {"CreateQuery", "AlterQuery", "DropQuery", "InsertQuery"}
        if not statement.startswith("INSERT"):
            assert f" ON CLUSTER {CLUSTER}" in statement, statement


def test_the_parser_rejects_what_is_not_sql(parser: Session) -> None:
    # The parse test can fail: a broken rewrite (ON CLUSTER without a name) is a syntax error there.
    with pytest.raises(Exception, match="Syntax error"):
        parsed(parser, f"CREATE TABLE {DB}.x ON CLUSTER (a String) ENGINE = MergeTree ORDER BY a")


@pytest.mark.parametrize("version", VERSIONS)
def test_each_table_becomes_a_replicated_local_table_behind_a_distributed_one(version: str) -> None:
    tables = stored_tables()
    assert len(tables) == 10
    statements = [s for m in MIGRATIONS for s in clustered(m, version)]
    plain = [s for m in MIGRATIONS for s in single(m, version)]
    for table, (engine, params) in tables.items():
        locals_ = [s for s in statements if s.startswith(f"CREATE TABLE IF NOT EXISTS {DB}.{table}_local ")]
        # alerts is created twice (0002, then 0004 after dropping the first)
        assert len(locals_) == (2 if table == "alerts" else 1), table
        local = locals_[-1]
        replicated = [f"'{REPLICA_PATH}'", f"'{REPLICA_NAME}'"] + ([params] if params else [])
        assert f"ENGINE = Replicated{engine}({', '.join(replicated)})" in local
        # Columns, partition and sorting key are the file's.
        (original,) = [s for s in plain if _CREATE.match(s) and _CREATE.match(s).group(1) == table][-1:]  # type: ignore[union-attr]
        assert local.split("(", 1)[1].replace(f"Replicated{engine}({', '.join(replicated)})", "") == (
            original.split("(", 1)[1].replace(f"{engine}({params})", "")
        )
        columns = {c for c in ("event_id", "alert_id") if re.search(rf"^\s*{c}\s", local, re.M)}
        key = "alert_id" if "alert_id" in columns else "event_id" if "event_id" in columns else None
        distributed = next(s for s in statements if s.startswith(f"CREATE TABLE IF NOT EXISTS {DB}.{table} "))
        assert f"ON CLUSTER {CLUSTER} AS {DB}.{table}_local\n" in distributed
        if key is not None:
            assert distributed.endswith(
                f"ENGINE = Distributed({CLUSTER}, {DB}, {table}_local, cityHash64({key}))"
            )
        else:
            sorting = re.search(r"ORDER BY \((.*)\)", original)
            assert sorting is not None
            assert distributed.endswith(f"cityHash64({sorting.group(1)}))"), table
    assert tables["alerts"] == ("ReplacingMergeTree", "version")  # the version column kept


def test_views_feed_local_tables_from_local_tables_and_readers_read_distributed_ones() -> None:
    statements = [s for m in MIGRATIONS for s in clustered(m, VERSIONS[-1])]
    tables = stored_tables()
    views = [s for s in statements if s.startswith("CREATE MATERIALIZED VIEW")]
    assert len(views) == 10
    for view in views:
        target = re.search(rf" TO {DB}\.(\w+) AS", view)
        sources = re.findall(r"\b(?:FROM|JOIN)\s+(\S+)", view)
        assert target is not None and target.group(1).removesuffix("_local") in tables
        assert target.group(1).endswith("_local")
        assert sources and all(s.startswith(f"{DB}.") and s.endswith("_local") for s in sources), view
    readers = [s for s in statements if s.startswith(("CREATE VIEW", "INSERT INTO"))]
    assert len(readers) == 22  # 12 views (6 with FINAL), 10 backfills
    for reader in readers:
        sources = re.findall(r"\b(?:FROM|JOIN)\s+(\S+)", reader)
        assert sources, reader
        for source in sources:
            assert source.startswith(f"{DB}.") and not source.endswith("_local"), reader
            assert source.removeprefix(f"{DB}.") in tables, reader
    dedup = [s for s in readers if " FINAL" in s]
    assert {re.search(r"VIEW IF NOT EXISTS \S+\.(\w+)", s).group(1) for s in dedup} == {  # type: ignore[union-attr]
        "plate_reads_dedup", "device_events_dedup", "alerts_dedup", "plate_reads_by_plate_dedup",
        "device_events_by_subject_dedup",
    }  # fmt: skip


def test_a_backfilled_row_lands_on_the_shard_its_view_would_have_chosen() -> None:
    # Why the backfills may go through Distributed: each view's target is sharded by the same key as its
    # source, whenever the target has that key's column (the event tables and their lookups).
    statements = [s for m in MIGRATIONS for s in clustered(m, VERSIONS[-1])]
    keys = {}
    for statement in statements:
        distributed = rf"CREATE TABLE IF NOT EXISTS {DB}\.(\w+) .*Distributed\(.*, (cityHash64\(.*\))\)$"
        if match := re.match(distributed, statement, re.S):
            keys[match.group(1)] = match.group(2)
    for view in (s for s in statements if s.startswith("CREATE MATERIALIZED VIEW")):
        target = re.search(rf" TO {DB}\.(\w+)_local", view).group(1)  # type: ignore[union-attr]
        source = re.search(rf"FROM {DB}\.(\w+)_local", view).group(1)  # type: ignore[union-attr]
        if "event_id" in keys[target]:
            assert keys[target] == keys[source] == "cityHash64(event_id)", view


def test_drops_and_alters_reach_the_local_tables() -> None:
    (alerts,) = [m for m in MIGRATIONS if m.name == "alert_versions"]
    drops = [s for s in clustered(alerts, VERSIONS[-1]) if s.startswith("DROP")]
    assert drops == [
        f"DROP TABLE IF EXISTS {DB}.alerts_dedup ON CLUSTER {CLUSTER}",
        f"DROP TABLE IF EXISTS {DB}.alerts_dedup_local ON CLUSTER {CLUSTER}",
        f"DROP TABLE IF EXISTS {DB}.alerts ON CLUSTER {CLUSTER}",
        f"DROP TABLE IF EXISTS {DB}.alerts_local ON CLUSTER {CLUSTER}",
    ]
    (retention,) = [m for m in MIGRATIONS if m.name == "retention"]
    alters = clustered(retention, VERSIONS[-1])
    assert alters == [
        f"ALTER TABLE {DB}.{table}_local ON CLUSTER {CLUSTER} MODIFY TTL event_time + INTERVAL 400 DAY"
        for table in ("plate_reads", "device_events", "plate_reads_by_plate", "device_events_by_subject")
    ]
    assert clustered(retention, VERSIONS[0]) == []  # no TTL on 18.16, in either mode


@pytest.mark.parametrize("version", VERSIONS)
def test_one_server_rendering_has_nothing_of_cluster_mode(version: str) -> None:
    dialect = ServerDialect.from_version(version)
    assert dialect.cluster is None and dialect == ServerDialect(dialect.version)
    for migration in MIGRATIONS:
        assert dialect.render(migration.sql) == ServerDialect(dialect.version).render(migration.sql)
        text = "\n".join(migration.statements(dialect))
        assert "ON CLUSTER" not in text and "Replicated" not in text and "_local" not in text
        assert "Distributed" not in text and f"{DB}." not in text


def test_the_ledger_is_one_replica_set_over_the_whole_cluster(parser: Session) -> None:
    ledger = cluster_ledger(DB, CLUSTER)
    assert parsed(parser, ledger).startswith("CreateQuery warmcity schema_migrations")
    assert f"ReplicatedReplacingMergeTree('{LEDGER_PATH}', '{LEDGER_REPLICA}')" in ledger
    assert "{shard}" not in LEDGER_PATH and "{shard}" in LEDGER_REPLICA
    assert parsed(parser, ClusterMode(CLUSTER, DB).create_database()).startswith("CreateQuery warmcity")


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("CREATE TABLE t (a String) ENGINE = Memory", "engine Memory has no replicated counterpart"),
        ("CREATE TABLE t (a String) ENGINE = ReplicatedMergeTree('/p', 'r') ORDER BY a", "no replicated"),
        ("CREATE TABLE t_local (event_id String) ENGINE = MergeTree ORDER BY event_id", "cluster mode's own"),
        ("CREATE TABLE t (a String) ENGINE = MergeTree() ORDER BY tuple()", "needs a sorting key"),
        ("CREATE MATERIALIZED VIEW v ENGINE = MergeTree ORDER BY a AS SELECT a FROM t", "not:"),
        ("RENAME TABLE a TO b", "not: 'RENAME TABLE a TO b'"),
    ],
)
def test_what_cluster_mode_cannot_render_is_named(sql: str, message: str) -> None:
    dialect = ServerDialect.from_version(VERSIONS[-1]).for_cluster(CLUSTER, DB)
    with pytest.raises(DialectError, match=re.escape(message)):
        dialect.render(sql + ";\n")


@pytest.mark.parametrize(("cluster", "database"), [("my-cluster", DB), (CLUSTER, "a.b"), ("", DB)])
def test_names_must_be_plain_identifiers(cluster: str, database: str) -> None:
    with pytest.raises(DialectError, match="is not a plain identifier"):
        ServerDialect.from_version(VERSIONS[-1]).for_cluster(cluster, database)


def test_the_cli_takes_a_cluster_and_refuses_a_bad_name_without_connecting() -> None:
    helped = CliRunner().invoke(cli, ["migrate", "--help"])
    assert helped.exit_code == 0 and "--cluster NAME" in helped.output
    refused = CliRunner().invoke(cli, ["migrate", "--cluster", "no-such;name"])
    assert refused.exit_code == 2
    assert "--cluster 'no-such;name' is not a plain identifier" in refused.output
