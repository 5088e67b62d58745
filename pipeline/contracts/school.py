"""Schools and kindergartens: one-key emergency alarm buttons and closed-campus gates."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field

from pipeline.contracts.envelope import EventEnvelope, PersonId


class HolderKind(StrEnum):
    PUPIL = "pupil"
    STAFF = "staff"
    PARENT = "parent"
    VISITOR = "visitor"
    UNKNOWN = "unknown"


class AccessDirection(StrEnum):
    IN = "in"
    OUT = "out"


class EmergencyAlarm(EventEnvelope):
    """The one-key alarm button (一键报警) was pressed."""

    schema_name: Literal["emergency_alarm"] = Field("emergency_alarm", alias="schema")
    schema_version: Literal[1] = 1
    button_id: str = Field(min_length=1, max_length=32)
    test: bool = Field(False, description="A scheduled test press, not an emergency.")


class CampusAccess(EventEnvelope):
    """Someone passed, or was refused at, a campus gate."""

    PERSON_FIELDS: ClassVar[tuple[str, ...]] = ("holder_id",)

    schema_name: Literal["campus_access"] = Field("campus_access", alias="schema")
    schema_version: Literal[1] = 1
    gate: str = Field(min_length=1, max_length=32)
    direction: AccessDirection
    holder_kind: HolderKind
    holder_id: PersonId | None = None
    granted: bool
