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


class Alert(BaseModel):
    """One alert for the command room; ``alert_id`` derives from the evidence, so a replay reproduces it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alert_id: str = Field(description="Stable id: the same evidence always yields the same id.")
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

    @property
    def event_time(self) -> datetime:
        return self.last_seen
