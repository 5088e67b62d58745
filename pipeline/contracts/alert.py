"""Alerts raised by detection rules, as published on the alerts topic (contract version 1)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from pipeline.contracts.reference import Place


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for critical, 3 for low: smaller is more urgent."""
        return list(Severity).index(self)


class AlertState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Alert(BaseModel):
    """One alert for the command room, as of its latest change.

    The alerts topic carries a snapshot at every change (raised, count risen, acknowledged, resolved,
    escalated); ``version`` grows with each, so readers keep the highest. One open alert per rule and
    subject within the suppression window: repeated hits raise ``count`` instead of raising new alerts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alert_id: str = Field(
        description="'al-<key>-<n>': <key> is a digest of rule and subject, n counts its alerts."
    )
    schema_version: Literal[1] = 1
    rule: str = Field(description="Rule that fired, e.g. 'watchlist.plate'.")
    severity: Severity
    subject: str = Field(description="What the alert is about: a plate, or a person token (never a raw id).")
    device_id: str
    place: Place | None
    summary: str = Field(description="One line for the operator: what matched.")
    evidence_event_ids: tuple[str, ...]
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    raised_at: AwareDatetime = Field(description="When the pipeline raised it (processing time).")
    count: int = Field(1, ge=1, description="Hits merged into this alert.")
    state: AlertState = AlertState.OPEN
    version: int = Field(1, ge=1, description="Grows with every change of this alert.")
    updated_at: AwareDatetime | None = Field(None, description="Processing time of the latest change.")
    escalated: bool = Field(False, description="Critical and not acknowledged in time.")
    acknowledged_by: str | None = None
    resolved_by: str | None = Field(None, description="Operator, or 'auto' when the condition cleared.")
    note: str | None = Field(None, max_length=500, description="The operator's latest note.")

    @property
    def event_time(self) -> datetime:
        return self.last_seen


class AlertActionKind(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class AlertAction(BaseModel):
    """An operator's acknowledgement or resolution, published by ``warmcity alerts ack|resolve``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    action_id: str = Field(description="Unique id of this action (a retry reuses it).")
    alert_id: str = Field(pattern=r"^al-[0-9a-f]{16}-[0-9]+$")
    action: AlertActionKind
    operator: str = Field(min_length=1, max_length=64)
    note: str | None = Field(None, max_length=500)
    at: AwareDatetime
