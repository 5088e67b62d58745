"""``warmcity alerts``: what operators use to follow alerts."""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from pipeline.alerts_view import AlertFilter, render_alert
from pipeline.cli.common import fail, pass_settings
from pipeline.contracts import Severity
from pipeline.settings import Settings
from pipeline.topics import Topics


@click.group()
def alerts() -> None:
    """Follow the alerts the pipeline raises."""


@alerts.command()
@click.option("--from-beginning", is_flag=True, help="Start at the oldest alert kept, not at new ones.")
@click.option(
    "--severity",
    type=click.Choice([s.value for s in Severity]),
    default=Severity.LOW.value,
    show_default=True,
    help="Show this severity and the more urgent ones.",
)
@click.option("--district", "districts", multiple=True, help="Only alerts in this district (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print each alert as one JSON object per line.")
@click.option(
    "--tz", default="UTC", show_default=True, help="Time zone of printed times, e.g. Asia/Shanghai."
)
@click.option("--max", "max_alerts", type=click.IntRange(min=1), help="Stop after this many alerts.")
@click.option(
    "--idle-timeout", type=click.FloatRange(min=0.1), help="Stop after this many seconds without one."
)
@pass_settings
def tail(
    settings: Settings,
    from_beginning: bool,
    severity: str,
    districts: tuple[str, ...],
    as_json: bool,
    tz: str,
    max_alerts: int | None,
    idle_timeout: float | None,
) -> None:
    """Print alerts as they arrive, one line each: time, severity, rule, device, place, what matched.

    Runs until Ctrl-C (or --max / --idle-timeout). Never commits offsets: tailing disturbs nobody.
    """
    from pipeline.alerts_tail import AlertTail

    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"--tz: unknown time zone {tz!r}", code=2)
    selected = AlertFilter(Severity(severity), districts)
    topic = Topics.from_settings(settings.kafka).alerts
    feed = AlertTail(settings.kafka.bootstrap_servers, topic, from_beginning=from_beginning)
    shown, last_seen = 0, time.monotonic()
    colour = not as_json and click.get_text_stream("stdout").isatty()
    try:
        while max_alerts is None or shown < max_alerts:
            for alert in feed.poll(0.5):
                last_seen = time.monotonic()
                if not selected.accepts(alert):
                    continue
                click.echo(alert.model_dump_json() if as_json else render_alert(alert, zone, colour))
                shown += 1
                if max_alerts is not None and shown >= max_alerts:
                    break
            if idle_timeout is not None and time.monotonic() - last_seen > idle_timeout:
                break
    except KeyboardInterrupt:
        pass
    finally:
        feed.close()
        if feed.undecodable:
            click.echo(f"warning: {feed.undecodable} messages on {topic} were not valid alerts", err=True)
