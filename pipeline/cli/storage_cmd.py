"""``warmcity migrate`` and ``warmcity storage``: the ClickHouse schema and its retention."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from pipeline.cli.common import fail, pass_settings
from pipeline.settings import Settings

if TYPE_CHECKING:
    from pipeline.storage.dialect import ServerDialect

_DATABASE_HELP = "Database (default: WARMCITY_CLICKHOUSE_DATABASE)."


def _database(settings: Settings, database: str | None) -> str:
    target = database or settings.clickhouse.database
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,100}", target):
        fail(f"--database {target!r} is not a plain identifier (letters, digits, underscore)", code=2)
    return target


@click.command()
@click.option("--database", default=None, help="Database to migrate (default: WARMCITY_CLICKHOUSE_DATABASE).")
@click.option(
    "--cluster",
    default=None,
    metavar="NAME",
    help="Create everything ON CLUSTER NAME, replicated behind Distributed tables "
    "(default: WARMCITY_CLICKHOUSE_CLUSTER; empty: one server).",
)
@pass_settings
def migrate(settings: Settings, database: str | None, cluster: str | None) -> None:
    """Create the database and apply the migrations it lacks, in order; safe to run again.

    Each migration is rendered for the server's version first (docs/stack.md, pipeline/storage/dialect.py):
    statements marked `-- requires: <feature>` are skipped on servers without that feature.

    With --cluster NAME (a cluster of the servers' remote_servers, with ZooKeeper or Keeper and the
    {shard} and {replica} macros), every table is created on each node as a Replicated* table, NAME_local,
    behind a Distributed table of the file's name, sharded by event_id (alert_id for alerts); the ledger
    is replicated to every node (docs/deploy.md). A database migrated in one mode is refused by the other.
    """
    from pipeline.storage.client import clickhouse_client
    from pipeline.storage.migrate import MigrationError, load_migrations, server_dialect
    from pipeline.storage.migrate import migrate as apply

    target = database or settings.clickhouse.database
    on = settings.clickhouse.cluster if cluster is None else cluster
    where = f"{settings.clickhouse.host}:{settings.clickhouse.port}/{target}"
    if on and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,100}", on):
        fail(f"--cluster {on!r} is not a plain identifier (letters, digits, underscore)", code=2)
    try:
        applied = apply(settings.clickhouse, target, load_migrations(), cluster=on or None)
        dialect = server_dialect(clickhouse_client(settings.clickhouse, database="")) if applied else None
    except MigrationError as exc:
        fail(str(exc))
    except Exception as exc:
        fail(f"ClickHouse at {where}: {exc}")
    for migration in applied:
        click.echo(f"applied {migration.version:04d}_{migration.name}{_skipped(dialect, migration.sql)}")
    click.echo(f"{where} is up to date" + (f" on cluster {on}" if on else ""))


def _skipped(dialect: ServerDialect | None, sql: str) -> str:
    dropped = dialect.dropped(sql) if dialect is not None else []
    if dialect is None or not dropped:
        return ""
    lacking = ", ".join(sorted({feature for features in dropped for feature in features}))
    return f" ({len(dropped)} statements skipped: ClickHouse {dialect.version_text} lacks {lacking})"


@click.group()
def storage() -> None:
    """Maintenance of the ClickHouse tables: retention of old events."""


@storage.command()
@click.option(
    "--older-than-days",
    type=click.IntRange(min=1),
    required=True,
    metavar="N",
    help="Drop the days whose every event is older than N days (migration 0006 keeps 400).",
)
@click.option("--dry-run", is_flag=True, help="List what would be dropped; drop nothing.")
@click.option("--database", default=None, help=_DATABASE_HELP)
@pass_settings
def prune(settings: Settings, older_than_days: int, dry_run: bool, database: str | None) -> None:
    """Drop whole day partitions older than N days from the event tables.

    The tables are plate_reads, device_events, plate_reads_by_plate and device_events_by_subject; the
    hourly aggregates, device status and alerts keep their history. This is retention for servers
    without TTL (18.16, the local stack); from 19.6 on the server deletes rows older than 400 days
    itself (migration 0006). Connects as WARMCITY_CLICKHOUSE_USER. Each partition is listed before it
    is dropped.
    """
    from pipeline.storage.client import clickhouse_client
    from pipeline.storage.migrate import ledger_engine
    from pipeline.storage.prune import DayPartition, PruneError, cutoff
    from pipeline.storage.prune import prune as run

    target = _database(settings, database)
    where = f"{settings.clickhouse.host}:{settings.clickhouse.port}/{target}"
    today = datetime.now(UTC).date()
    verb = "would drop" if dry_run else "dropping"

    def report(partition: DayPartition) -> None:
        click.echo(
            f"{verb} {partition.table:<26} {partition.day.isoformat()}  "
            f"{partition.rows:>12,} rows  {partition.bytes_on_disk / 1e6:>10.1f} MB"
        )

    first_kept = cutoff(today, older_than_days)
    client = clickhouse_client(settings.clickhouse, database="")
    try:
        if (ledger_engine(client, target) or "").startswith("Replicated"):
            fail(
                f"{where} was migrated in cluster mode: prune works on one server's tables; on a cluster "
                "the servers' TTL (migration 0006, ClickHouse 19.6 and later) keeps the retention"
            )
        plan = run(client, target, older_than_days, today, dry_run=dry_run, report=report)
    except PruneError as exc:
        fail(str(exc))
    except Exception as exc:
        # The server's message without its stack trace.
        fail(f"ClickHouse at {where}: {str(exc).split('Stack trace:')[0].strip()}")
    finally:
        client.disconnect()
    if not plan:
        click.echo(f"{where}: no day before {first_kept.isoformat()} to drop")
        return
    done = "would drop" if dry_run else "dropped"
    rows = sum(p.rows for p in plan)
    click.echo(f"{where}: {done} {len(plan)} partitions ({rows:,} rows) before {first_kept.isoformat()}")


@storage.command("roles-sql")
@pass_settings
def roles_sql(settings: Settings) -> None:
    """Print deploy/clickhouse/roles.sql for the configured writer and analyst users.

    For servers with SQL access control (20.5 and later); the local stack (18.16) gets the same users from
    users.d/warmcity.xml. Pipe it into `clickhouse-client --multiquery` as a user with access management.
    Needs WARMCITY_CLICKHOUSE_WRITER_PASSWORD and WARMCITY_CLICKHOUSE_ANALYST_PASSWORD (written as SHA-256).
    """
    from pipeline.storage.roles import RolesError
    from pipeline.storage.roles import roles_sql as render

    try:
        click.echo(render(settings.clickhouse), nl=False)
    except RolesError as exc:
        fail(str(exc), code=2)
