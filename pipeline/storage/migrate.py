"""Apply the ordered SQL migrations of schemas/clickhouse to a database, once each.

Files are named ``NNNN_name.sql``; statements are separated by ``;`` at the end of a line. Applied
versions are recorded in ``schema_migrations`` with a checksum: re-running is a no-op, and a file that
changed after it was applied is reported instead of silently ignored.

Each file is rendered for the connected server before it is split (``pipeline/storage/dialect.py``:
``/*LC*/`` and ``/*CODEC(...)*/`` markers, ``-- requires: <feature>`` guards); the checksum is that of the
file text, whatever server it was rendered for.

Cluster mode (``cluster=NAME``, ``warmcity migrate --cluster NAME``): the database and every table are
created ``ON CLUSTER NAME``, replicated tables behind Distributed ones (``pipeline/storage/cluster.py``;
docs/deploy.md). The ledger is then one ``ReplicatedReplacingMergeTree`` whose replica set spans every
node of the cluster, so whichever node the runner reaches knows what was applied; the runner waits for
that node's copy to catch up (``SYSTEM SYNC REPLICA``) before reading it. A database migrated in one mode
is refused by the other.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from clickhouse_driver import Client

import pipeline
from pipeline.settings import ClickHouseSettings
from pipeline.storage.client import clickhouse_client
from pipeline.storage.cluster import LEDGER_PATH, LEDGER_REPLICA
from pipeline.storage.dialect import DialectError, ServerDialect

MIGRATIONS_DIR = Path(pipeline.__file__).resolve().parent.parent / "schemas" / "clickhouse"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations
(version UInt32, name String, checksum String, applied_at DateTime DEFAULT now())
ENGINE = ReplacingMergeTree() ORDER BY version
"""


def cluster_ledger(database: str, cluster: str) -> str:
    """The ledger of cluster mode: one replica set over every node (pipeline/storage/cluster.py)."""
    return (
        f"CREATE TABLE IF NOT EXISTS {database}.schema_migrations ON CLUSTER {cluster}\n"
        "(version UInt32, name String, checksum String, applied_at DateTime DEFAULT now())\n"
        f"ENGINE = ReplicatedReplacingMergeTree('{LEDGER_PATH}', '{LEDGER_REPLICA}') ORDER BY version"
    )


class MigrationError(Exception):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()[:16]

    def statements(self, dialect: ServerDialect | None = None) -> list[str]:
        """The statements to execute on a server of ``dialect``; without one, the file as written."""
        sql = self.sql if dialect is None else dialect.render(self.sql)
        parts = re.split(r";\s*$", sql, flags=re.MULTILINE)
        cleaned = ("\n".join(ln for ln in p.splitlines() if not ln.strip().startswith("--")) for p in parts)
        return [s.strip() for s in cleaned if s.strip()]


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path}: migration files are named NNNN_name.sql")
        migrations.append(Migration(int(match.group(1)), match.group(2), path.read_text(encoding="utf-8")))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"{directory}: two migrations share a version number")
    return migrations


def applied_migrations(client: Client) -> dict[int, str]:
    rows = client.execute(
        "SELECT version, argMax(checksum, applied_at) FROM schema_migrations GROUP BY version"
    )
    return {int(version): str(checksum) for version, checksum in rows}


def server_dialect(client: Client) -> ServerDialect:
    """The dialect of the server ``client`` talks to, from ``SELECT version()``."""
    return ServerDialect.from_version(str(client.execute("SELECT version()")[0][0]))


def ledger_engine(client: Client, database: str) -> str | None:
    """The engine of ``database.schema_migrations``, or None when there is no ledger yet."""
    rows = client.execute(
        "SELECT engine FROM system.tables WHERE database = %(database)s AND name = 'schema_migrations'",
        {"database": database},
    )
    return str(rows[0][0]) if rows else None


def _check_mode(client: Client, database: str, cluster: str | None) -> None:
    engine = ledger_engine(client, database)
    if engine is None:
        return
    replicated = engine.startswith("Replicated")
    if cluster is None and replicated:
        raise MigrationError(
            f"database {database} was migrated in cluster mode (its schema_migrations is {engine}): "
            "run `warmcity migrate --cluster NAME` (or set WARMCITY_CLICKHOUSE_CLUSTER)"
        )
    if cluster is not None and not replicated:
        raise MigrationError(
            f"database {database} was migrated for one server (its schema_migrations is {engine}): "
            f"cluster mode cannot take it over; migrate a new database with --cluster {cluster}"
        )


def _check_cluster(client: Client, cluster: str) -> None:
    known = sorted({str(row[0]) for row in client.execute("SELECT cluster FROM system.clusters")})
    if cluster not in known:
        raise MigrationError(
            f"cluster {cluster!r} is not in the server's remote_servers "
            f"(it has: {', '.join(known) or 'none'})"
        )


def migrate(
    settings: ClickHouseSettings,
    database: str | None = None,
    migrations: list[Migration] | None = None,
    cluster: str | None = None,
) -> list[Migration]:
    """Create the database if needed and apply what is missing; returns the migrations applied now.

    ``cluster``: the cluster of ``remote_servers`` to create everything on (module docstring); None, or
    empty, migrates the one server connected to.
    """
    database = database or settings.database
    cluster = cluster or None
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,100}", database):
        raise MigrationError(f"database name {database!r} is not a plain identifier")
    if cluster is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,100}", cluster):
        raise MigrationError(f"cluster name {cluster!r} is not a plain identifier")
    migrations = load_migrations() if migrations is None else migrations
    if cluster is None:
        admin = clickhouse_client(settings, database="")
        admin.execute(f"CREATE DATABASE IF NOT EXISTS `{database}`")
        _check_mode(admin, database, None)
        server = clickhouse_client(settings, database=database)
        server.execute(_LEDGER)
        dialect = server_dialect(server)
        query_settings: dict[str, int] = {}
    else:
        admin = clickhouse_client(settings, database="")
        _check_cluster(admin, cluster)
        try:
            dialect = server_dialect(admin).for_cluster(cluster, database)
        except DialectError as exc:
            raise MigrationError(str(exc)) from exc
        assert dialect.cluster is not None
        admin.execute(dialect.cluster.create_database())
        _check_mode(admin, database, cluster)
        admin.execute(cluster_ledger(database, cluster))
        admin.execute(f"SYSTEM SYNC REPLICA {database}.schema_migrations")
        server = clickhouse_client(settings, database=database)
        # Backfills go through Distributed tables: synchronously, so they are done when migrate returns.
        query_settings = {"insert_distributed_sync": 1}
    done = applied_migrations(server)
    applied = []
    for migration in migrations:
        if migration.version in done:
            if done[migration.version] != migration.checksum:
                raise MigrationError(
                    f"migration {migration.version:04d}_{migration.name} changed after it was applied "
                    f"(checksum {done[migration.version]} in the database, {migration.checksum} on disk): "
                    "add a new migration instead of editing an applied one"
                )
            continue
        try:
            statements = migration.statements(dialect)
        except DialectError as exc:
            raise MigrationError(f"migration {migration.version:04d}_{migration.name}: {exc}") from exc
        for statement in statements:
            server.execute(statement, settings=query_settings)
        server.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES",
            [(migration.version, migration.name, migration.checksum)],
        )
        applied.append(migration)
    return applied
