"""What an operator sees of an alert: the filter and the one-line rendering used by ``alerts tail``."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import click

from pipeline.contracts import Alert, Severity
from pipeline.contracts.alert import AlertState

_COLOURS = {
    Severity.CRITICAL: "red",
    Severity.HIGH: "magenta",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
}


@dataclass(frozen=True)
class AlertFilter:
    """Alerts at ``min_severity`` or more urgent, in one of ``districts`` (all when empty)."""

    min_severity: Severity = Severity.LOW
    districts: Collection[str] = ()

    def accepts(self, alert: Alert) -> bool:
        if alert.severity.rank > self.min_severity.rank:
            return False
        if self.districts:
            wanted = {d.casefold() for d in self.districts}
            return alert.place is not None and alert.place.district.casefold() in wanted
        return True


def place_of(alert: Alert) -> str:
    place = alert.place
    if place is None:
        return "unknown place"
    return f"{place.district}/{place.patrol_area}/{place.grid_cell} ({place.station})"


def render_alert(alert: Alert, zone: ZoneInfo, colour: bool = False) -> str:
    """'2026-12-01 16:05:09 CST  CRITICAL  watchlist.plate  KK-DS-0003  Dongsheng/PA-02/GC-0012 (...)  ...'"""
    when = alert.last_seen.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")
    severity = f"{alert.severity.value.upper():<8}"
    if colour:
        severity = click.style(
            severity, fg=_COLOURS[alert.severity], bold=alert.severity is Severity.CRITICAL
        )
    return (
        f"{when}  {severity}  {alert.rule:<16} {alert.device_id:<12} {place_of(alert)}  {alert.summary}"
        f"  [{status_of(alert)}]"
    )


def status_of(alert: Alert) -> str:
    """E.g. 'al-…-1 open x3 ESCALATED', 'al-…-1 acknowledged by duty-7', 'al-…-1 resolved by auto'."""
    parts = [alert.alert_id, alert.state.value]
    if alert.count > 1:
        parts.append(f"x{alert.count}")
    if alert.state is AlertState.ACKNOWLEDGED and alert.acknowledged_by:
        parts.append(f"by {alert.acknowledged_by}")
    if alert.state is AlertState.RESOLVED and alert.resolved_by:
        parts.append(f"by {alert.resolved_by}")
    if alert.escalated and alert.state is AlertState.OPEN:
        parts.append("ESCALATED")
    return " ".join(parts)
