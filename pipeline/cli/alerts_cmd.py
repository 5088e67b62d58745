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


def _act(settings: Settings, alert_id: str, kind: str, operator: str, note: str | None) -> None:
    import uuid
    from datetime import UTC, datetime

    from pydantic import ValidationError

    from pipeline.alerting.book import key_of_alert_id
    from pipeline.contracts.alert import AlertAction, AlertActionKind
    from pipeline.reference_publish import PublishError, publish_records

    try:
        key = key_of_alert_id(alert_id)
        action = AlertAction(
            action_id=f"act-{uuid.uuid4().hex[:16]}",
            alert_id=alert_id,
            action=AlertActionKind(kind),
            operator=operator,
            note=note,
            at=datetime.now(UTC),
        )
    except ValidationError as exc:  # before ValueError: it is one
        error = exc.errors(include_url=False)[0]
        fail(f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}", code=2)
    except ValueError as exc:
        fail(str(exc), code=2)
    topic = Topics.from_settings(settings.kafka).alert_actions
    try:
        publish_records(
            settings.kafka.bootstrap_servers, topic, [(key.encode(), action.model_dump_json().encode())]
        )
    except PublishError as exc:
        fail(str(exc))
    click.echo(f"{kind} of {alert_id} by {operator} sent; `warmcity alerts tail` shows the alert's new state")


_operator = click.option("--operator", required=True, help="Who acts (call sign or badge number).")
_note = click.option("--note", help="What was done or decided (at most 500 characters).")


@alerts.command()
@click.argument("alert_id")
@_operator
@_note
@pass_settings
def ack(settings: Settings, alert_id: str, operator: str, note: str | None) -> None:
    """Acknowledge alert ALERT_ID (e.g. al-3f9a1c440b8e2d51-1): someone is on it; stops its escalation."""
    _act(settings, alert_id, "acknowledge", operator, note)


@alerts.command()
@click.argument("alert_id")
@_operator
@_note
@pass_settings
def resolve(settings: Settings, alert_id: str, operator: str, note: str | None) -> None:
    """Resolve alert ALERT_ID: the situation is dealt with. A new hit afterwards raises a new alert."""
    _act(settings, alert_id, "resolve", operator, note)
