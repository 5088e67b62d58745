"""The alert book: what happens to the alert of one rule and subject as detections and operators act on it.

Pure functions on an ``AlertBookEntry`` (the state of one key); each returns the new entry and the alert
snapshot to publish, if any. Rules:
- a detection while an alert of the same rule and subject is open or acknowledged, within the
  suppression window of its last hit, merges into it (count and last_seen rise); otherwise it raises a new
  alert with the next sequence number;
- a clearing detection (``clears``) resolves the open alert with ``resolved_by='auto'``;
- operators acknowledge (open -> acknowledged) and resolve (open/acknowledged -> resolved);
- a critical alert still open (not acknowledged) after ``escalate_after`` is escalated once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from pipeline.contracts.alert import Alert, AlertAction, AlertActionKind, AlertState, Severity
from pipeline.contracts.reference import Place

MAX_EVIDENCE = 50


class DetectionLike(Protocol):
    """What the book needs of a rule's detection (``pipeline.rules.base.Detection`` has it)."""

    @property
    def rule(self) -> str: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def subject(self) -> str: ...
    @property
    def device_id(self) -> str: ...
    @property
    def place(self) -> Place | None: ...
    @property
    def summary(self) -> str: ...
    @property
    def evidence_event_ids(self) -> Sequence[str]: ...
    @property
    def first_seen(self) -> datetime: ...
    @property
    def last_seen(self) -> datetime: ...
    @property
    def clears(self) -> bool: ...


class AlertBookEntry(BaseModel):
    """The state of one rule and subject: how many alerts it had, and the latest one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sequence: int = 0
    current: Alert | None = None


@dataclass(frozen=True)
class BookPolicy:
    suppression_window: timedelta = timedelta(minutes=30)
    escalate_after: timedelta = timedelta(minutes=5)


def alert_key(rule: str, subject: str) -> str:
    """16 hex digits naming a rule and subject; the partition key of detections and actions alike."""
    return hashlib.blake2b(f"{rule}|{subject}".encode(), digest_size=8).hexdigest()


def key_of_alert_id(alert_id: str) -> str:
    """The key inside an 'al-<key>-<n>' id."""
    parts = alert_id.split("-")
    if len(parts) != 3 or parts[0] != "al" or len(parts[1]) != 16:
        raise ValueError(f"{alert_id!r} is not an alert id (al-<16 hex digits>-<n>)")
    return parts[1]


def _is_live(alert: Alert | None) -> bool:
    return alert is not None and alert.state is not AlertState.RESOLVED


def on_detection(
    entry: AlertBookEntry, detection: DetectionLike, now: datetime, policy: BookPolicy
) -> tuple[AlertBookEntry, Alert | None]:
    current = entry.current
    live = current if _is_live(current) else None
    if detection.clears:
        if live is None:
            return entry, None
        resolved = _change(live, now, state=AlertState.RESOLVED, resolved_by="auto", note=detection.summary)
        return entry.model_copy(update={"current": resolved}), resolved
    if live is not None and detection.last_seen - live.last_seen <= policy.suppression_window:
        evidence = tuple(dict.fromkeys((*live.evidence_event_ids, *detection.evidence_event_ids)))
        merged = _change(
            live,
            now,
            count=live.count + 1,
            last_seen=max(live.last_seen, detection.last_seen),
            severity=min(live.severity, detection.severity, key=lambda s: s.rank),
            evidence_event_ids=evidence[-MAX_EVIDENCE:],
            summary=detection.summary,
            device_id=detection.device_id,
            place=detection.place,
        )
        return entry.model_copy(update={"current": merged}), merged
    sequence = entry.sequence + 1
    alert = Alert(
        alert_id=f"al-{alert_key(detection.rule, detection.subject)}-{sequence}",
        rule=detection.rule,
        severity=detection.severity,
        subject=detection.subject,
        device_id=detection.device_id,
        place=detection.place,
        summary=detection.summary,
        evidence_event_ids=tuple(detection.evidence_event_ids)[-MAX_EVIDENCE:],
        first_seen=detection.first_seen,
        last_seen=detection.last_seen,
        raised_at=now,
        updated_at=now,
    )
    return AlertBookEntry(sequence=sequence, current=alert), alert


def on_action(
    entry: AlertBookEntry, action: AlertAction, now: datetime
) -> tuple[AlertBookEntry, Alert | None, str | None]:
    """Apply an operator's action; the third value says why nothing changed, when nothing did."""
    current = entry.current
    if current is None or current.alert_id != action.alert_id:
        return entry, None, f"{action.alert_id} is not the latest alert of its rule and subject"
    if current.state is AlertState.RESOLVED:
        return entry, None, f"{action.alert_id} is already resolved"
    if action.action is AlertActionKind.ACKNOWLEDGE:
        if current.state is AlertState.ACKNOWLEDGED:
            return entry, None, f"{action.alert_id} is already acknowledged"
        changed = _change(current, now, state=AlertState.ACKNOWLEDGED, acknowledged_by=action.operator,
                          note=action.note)  # fmt: skip
    else:
        changed = _change(
            current, now, state=AlertState.RESOLVED, resolved_by=action.operator, note=action.note
        )
    return entry.model_copy(update={"current": changed}), changed, None


def on_tick(entry: AlertBookEntry, now: datetime, policy: BookPolicy) -> tuple[AlertBookEntry, Alert | None]:
    current = entry.current
    if (
        current is None
        or current.state is not AlertState.OPEN
        or current.severity is not Severity.CRITICAL
        or current.escalated
        or now - current.raised_at < policy.escalate_after
    ):
        return entry, None
    escalated = _change(current, now, escalated=True)
    return entry.model_copy(update={"current": escalated}), escalated


def _change(alert: Alert, now: datetime, **changes: object) -> Alert:
    return alert.model_copy(update={**changes, "version": alert.version + 1, "updated_at": now})
