"""``warmcity stack up|down|status``: the local Kafka broker and ClickHouse server (pipeline.stack)."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli.common import fail, pass_settings
from pipeline.settings import Settings
from pipeline.stack import ComponentStatus, LocalStack, StackError


def _shown(path: Path | None) -> str:
    if path is None:
        return "-"
    # Relative to the working directory when inside it: shorter, and what the user types next.
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def _line(status: ComponentStatus) -> str:
    pid = f"pid {status.pid}" if status.pid is not None else "-"
    return f"{status.name:<11} {status.state:<12} {status.address:<22} {pid:<11} log {_shown(status.log)}"


@click.group()
def stack() -> None:
    """The local stack: a single-node Kafka broker and a ClickHouse server.

    Everything lives under WARMCITY_STACK_RUN_DIR (default .run/stack): configs, data, logs and pid files.
    Set WARMCITY_STACK_KAFKA=external or WARMCITY_STACK_CLICKHOUSE=external to use servers you run
    yourself. See docs/stack.md.
    """


@stack.command()
@pass_settings
def up(settings: Settings) -> None:
    """Start Kafka and ClickHouse and wait until both answer.

    The first run fetches the Kafka jars with Maven (about 45 MB, cached in WARMCITY_STACK_KAFKA_CACHE_DIR)
    and formats the broker's storage. A component that is already running is left as it is, so running
    `up` again is harmless. External components are only checked.
    """
    try:
        statuses = LocalStack(settings, progress=click.echo).up()
    except StackError as exc:
        fail(str(exc))
    for status in statuses:
        click.echo(_line(status))


@stack.command()
@pass_settings
def down(settings: Settings) -> None:
    """Stop the Kafka and ClickHouse that `stack up` started (data is kept).

    Only processes recorded in the run directory's pid files are stopped: SIGTERM, then SIGKILL after 30 s.
    External servers are never touched. Delete the run directory to start from empty.
    """
    try:
        stopped = LocalStack(settings).down()
    except StackError as exc:
        fail(str(exc))
    click.echo(f"stopped {', '.join(stopped)}" if stopped else "nothing to stop")


@stack.command()
@pass_settings
def status(settings: Settings) -> None:
    """Show each component: state, address, pid and log.

    States: running (ours, answering), stopped (ours, not running), external (not ours, answering),
    unreachable (external and not answering, or ours and not answering yet).
    """
    for component in LocalStack(settings).status():
        click.echo(_line(component))
