"""``warmcity query``: the analysts' saved queries (pipeline/analytics), one subcommand each."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import click

from pipeline.analytics import SAVED_QUERIES, OutputFormat, ParameterError, QueryResult, SavedQuery
from pipeline.analytics.params import TIME_FORMS
from pipeline.cli.common import fail, pass_settings
from pipeline.settings import Settings

_TIMES = f"Times are UTC: {TIME_FORMS}."


def listing() -> str:
    width = max(len(query.name) for query in SAVED_QUERIES)
    lines = [f"  {query.name:<{width}}  {query.description}" for query in SAVED_QUERIES]
    return "\n".join(["saved queries (warmcity query NAME --help shows its parameters):", *lines, "", _TIMES])


@click.group(invoke_without_command=True)
@click.option("--list", "show_list", is_flag=True, help="List the saved queries and what each answers.")
@click.pass_context
def query(ctx: click.Context, show_list: bool) -> None:
    """Run a saved query against ClickHouse: `warmcity query NAME [OPTIONS]` (docs/analysts.md).

    `warmcity query --list` lists them, `warmcity query NAME --help` shows a query's parameters. Every
    query reads deduplicated data (FINAL, or the merged hourly states), so replayed events are never
    counted twice. Output is an aligned table, or --format csv / json.
    """
    if show_list or ctx.invoked_subcommand is None:
        click.echo(listing())


@query.command(name="list")
def list_queries() -> None:
    """List the saved queries and what each answers (same as `warmcity query --list`)."""
    click.echo(listing())


def _execute(
    settings: Settings, saved: SavedQuery, output: OutputFormat, show_sql: bool, raw: Mapping[str, str | None]
) -> None:
    from pipeline.analytics import format_result

    try:
        values = saved.bind(raw, datetime.now(UTC))
    except ParameterError as exc:
        fail(str(exc), code=2)
    if show_sql:
        click.echo(saved.render(values).strip())
        return
    result = _run(settings, saved, values)
    if not result.rows:
        empty = f"no rows: {saved.name} found nothing for {saved.describe(values)}"
        if output is OutputFormat.TABLE:
            click.echo(empty)
            return
        click.echo(empty, err=True)  # the output below stays a valid (empty) CSV or JSON document
    click.echo(format_result(result, output), nl=False)


def _run(settings: Settings, saved: SavedQuery, values: dict[str, Any]) -> QueryResult:
    from clickhouse_driver.errors import Error as ClickHouseError
    from clickhouse_driver.errors import ErrorCodes

    from pipeline.analytics.run import run_saved
    from pipeline.storage.client import clickhouse_client

    # The driver logs each failed connection attempt with a traceback; the one error line below says it.
    logging.getLogger("clickhouse_driver.connection").setLevel(logging.ERROR)
    ch = settings.clickhouse
    where = f"ClickHouse at {ch.host}:{ch.port}/{ch.database}"
    client = clickhouse_client(settings.clickhouse, as_user="analyst")
    try:
        return run_saved(client, saved, values)
    except ClickHouseError as exc:
        hint = " (are the migrations applied? `warmcity migrate`)"
        missing = getattr(exc, "code", None) in (ErrorCodes.UNKNOWN_TABLE, ErrorCodes.UNKNOWN_DATABASE)
        message = (getattr(exc, "message", "") or str(exc)).split("Stack trace:")[0].strip()
        fail(f"{where}: {message}{hint if missing else ''}")
    except (OSError, EOFError) as exc:
        fail(f"{where}: {exc}")
    finally:
        client.disconnect()


def command_for(saved: SavedQuery) -> click.Command:
    """The click command of one saved query: an option per parameter, --format and --sql."""

    @pass_settings
    def run(settings: Settings, output_format: str, show_sql: bool, **raw: str | None) -> None:
        _execute(settings, saved, OutputFormat(output_format), show_sql, raw)

    options: list[click.Parameter] = [
        click.Option(
            [param.option, param.name],
            required=param.required,
            metavar=param.metavar,
            help=param.help_text(),
        )
        for param in saved.params
    ]
    options += [
        click.Option(
            ["--format", "output_format"],
            type=click.Choice([f.value for f in OutputFormat]),
            default=OutputFormat.TABLE.value,
            show_default=True,
            help="Aligned table, CSV with a header, or a JSON array of objects.",
        ),
        click.Option(["--sql", "show_sql"], is_flag=True, help="Print the SQL with the values; run nothing."),
    ]
    return click.Command(
        saved.name,
        callback=run,
        params=options,
        help=f"{saved.description}\n\n{saved.details}\n\n{_TIMES}",
        short_help=saved.description,
    )


for _saved in SAVED_QUERIES:
    query.add_command(command_for(_saved))
