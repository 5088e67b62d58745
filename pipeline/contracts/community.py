"""Smart residential communities: person and vehicle access control at the gates."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from pipeline.contracts.envelope import PLATE_PATTERN, EventEnvelope, PersonId, clean_plate
from pipeline.contracts.school import AccessDirection


class AccessMethod(StrEnum):
    CARD = "card"
    FACE = "face"
    QR = "qr"
    PIN = "pin"


class PersonAccess(EventEnvelope):
    """A person granted or denied at a community gate."""

    PERSON_FIELDS: ClassVar[tuple[str, ...]] = ("holder_id",)

    schema_name: Literal["person_access"] = Field("person_access", alias="schema")
    schema_version: Literal[1] = 1
    gate: str = Field(min_length=1, max_length=32)
    direction: AccessDirection
    method: AccessMethod
    holder_id: PersonId | None = None
    granted: bool
    deny_reason: str | None = Field(None, max_length=64)


class VehicleAccess(EventEnvelope):
    """A vehicle granted or denied at a community's barrier."""

    schema_name: Literal["vehicle_access"] = Field("vehicle_access", alias="schema")
    schema_version: Literal[1] = 1
    gate: str = Field(min_length=1, max_length=32)
    direction: AccessDirection
    plate: str = Field(pattern=PLATE_PATTERN)
    granted: bool
    deny_reason: str | None = Field(None, max_length=64)

    @field_validator("plate", mode="before")
    @classmethod
    def _normalise_plate(cls, value: object) -> object:
        return clean_plate(value) if isinstance(value, str) else value
