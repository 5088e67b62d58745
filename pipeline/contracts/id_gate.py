"""ID-verification gates: station and airport exits (两站一场) and police checkpoint stations."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from pipeline.contracts.envelope import EventEnvelope, PersonName, ResidentId


class GateResult(StrEnum):
    PASS = "pass"
    DENY = "deny"


class DenyReason(StrEnum):
    FACE_MISMATCH = "face_mismatch"
    ID_INVALID = "id_invalid"
    ID_EXPIRED = "id_expired"
    WATCHLIST = "watchlist"
    MANUAL = "manual"


class IdVerification(EventEnvelope):
    """An ID card read at a gate with the live face compared to the card's photo."""

    PERSON_FIELDS: ClassVar[tuple[str, ...]] = ("id_number", "name")

    schema_name: Literal["id_verification"] = Field("id_verification", alias="schema")
    schema_version: Literal[1] = 1
    id_number: ResidentId
    name: PersonName
    face_similarity: float = Field(ge=0, le=1, description="Live face against the ID card's photo.")
    result: GateResult
    deny_reason: DenyReason | None = None

    @model_validator(mode="after")
    def _reason_goes_with_deny(self) -> IdVerification:
        if (self.result is GateResult.DENY) != (self.deny_reason is not None):
            raise ValueError("deny_reason is required when result is 'deny' and not allowed otherwise")
        return self
