"""``warmcity migrate``: apply the ClickHouse migrations in schemas/clickhouse."""

from __future__ import annotations

import click

from pipeline.cli.common import fail, pass_settings
from pipeline.settings import Settings


@click.command()
@click.option("--database", default=None, help="Database to migrate (default: WARMCITY_CLICKHOUSE_DATABASE).")
@pass_settings
def migrate(settings: Settings, database: str | None) -> None:
    """Create the database and apply the migrations it lacks, in order; safe to run again."""
    from pipeline.storage.migrate import MigrationError, load_migrations
    from pipeline.storage.migrate import migrate as apply

    target = database or settings.clickhouse.database
    where = f"{settings.clickhouse.host}:{settings.clickhouse.port}/{target}"
    try:
        applied = apply(settings.clickhouse, target, load_migrations())
    except MigrationError as exc:
        fail(str(exc))
    except Exception as exc:
        fail(f"ClickHouse at {where}: {exc}")
    if applied:
        for migration in applied:
            click.echo(f"applied {migration.version:04d}_{migration.name}")
    click.echo(f"{where} is up to date")
