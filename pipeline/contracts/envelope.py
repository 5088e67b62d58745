"""The envelope every device event carries, whatever its family.

``event_id`` is chosen by the device (or its gateway) and is stable across retries: storage collapses
duplicates on it, so a replayed or re-sent event is stored once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

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


class EventEnvelope(BaseModel):
    """Fields common to every device event."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    event_id: str = Field(pattern=EVENT_ID_PATTERN, description="Stable id of this event, unique per device.")
    device_id: str = Field(pattern=DEVICE_ID_PATTERN, description="Registered id of the sending device.")
    event_time: AwareDatetime = Field(
        description="When the device observed the event (RFC 3339, with offset)."
    )

    @field_validator("event_time")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)
