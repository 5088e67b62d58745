"""The envelope every device event carries, whatever its family.

``event_id`` is chosen by the device (or its gateway) and is stable across retries: storage collapses
duplicates on it, so a replayed or re-sent event is stored once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

# A pseudonym produced by the privacy stage: 'pt_' and 24 hex digits of a keyed HMAC (see stages/privacy.py).
TOKEN_PATTERN = r"^pt_[0-9a-f]{24}$"
EVENT_ID_PATTERN = r"^[A-Za-z0-9._:-]{8,64}$"
DEVICE_ID_PATTERN = r"^[A-Z0-9][A-Z0-9-]{2,39}$"
# Chinese civil plates: one province character (or a letter prefix for some), then 5-7 letters/digits,
# optionally a trailing 学/警/挂 character. Kept deliberately permissive: checkpoints mis-read, and a read
# with an unusual plate is data, not garbage.


def clean_plate(plate: str) -> str:
    """The plate as contracts store it: no spaces, dots or dashes, upper case (not validated).

    Reads and watch-list entries both go through this, or a read would never match its entry."""
    return plate.strip().replace(" ", "").replace("·", "").replace("-", "").upper()


PLATE_PATTERN = r"^[A-Z0-9\u4e00-\u9fff]{5,10}$"


# Person identifiers as devices send them (an 18-character resident ID number, or a card/badge number) or,
# after the privacy stage, as a token. Only the raw topics ever hold the raw form.
PERSON_ID_PATTERN = r"^(?:[0-9]{17}[0-9X]|[A-Z0-9]{6,20}|pt_[0-9a-f]{24})$"
PersonId = Annotated[
    str, Field(pattern=PERSON_ID_PATTERN, description="Person identifier; a token after intake.")
]
# The 18-character resident identity card number (居民身份证号) that ID gates read, or its token.
RESIDENT_ID_PATTERN = r"^(?:[0-9]{17}[0-9X]|pt_[0-9a-f]{24})$"
ResidentId = Annotated[
    str, Field(pattern=RESIDENT_ID_PATTERN, description="Resident ID card number; a token after intake.")
]
PersonName = Annotated[
    str, Field(min_length=1, max_length=64, description="Person name; a token after intake.")
]


class EventEnvelope(BaseModel):
    """Fields common to every device event.

    ``PERSON_FIELDS`` names the fields that identify a person; the privacy stage replaces their values with
    keyed-HMAC tokens before anything else sees the event. ``POSITIONED`` says the event carries its own
    fix in ``lat`` and ``lon`` (a moving tracker): the enrich stage places it there, not where the device
    is registered."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, populate_by_name=True)

    PERSON_FIELDS: ClassVar[tuple[str, ...]] = ()
    POSITIONED: ClassVar[bool] = False

    # Each event type narrows these two to its own literals.
    schema_name: str = Field(alias="schema", description="Event type.")
    schema_version: int = Field(description="Version of the event type's contract.")

    event_id: str = Field(pattern=EVENT_ID_PATTERN, description="Stable id of this event, unique per device.")
    device_id: str = Field(pattern=DEVICE_ID_PATTERN, description="Registered id of the sending device.")
    event_time: AwareDatetime = Field(
        description="When the device observed the event (RFC 3339, with offset)."
    )

    @field_validator("event_time")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)
