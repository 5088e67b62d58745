"""The record written to the dead-letter topic for a message the pipeline could not process (version 1)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from pipeline.errors import RejectReason


class Origin(BaseModel):
    """Where the rejected message was read: enough to find it again, or to replay it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: str
    partition: int
    offset: int
    index: int | None = Field(
        None, description="For an event of a batch envelope: its position in the envelope's events."
    )


class DeadLetter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    reason: RejectReason
    detail: str = Field(description="Which field was wrong and how, or what failed to parse.")
    origin: Origin
    key: str | None = Field(description="The message key, decoded as UTF-8 with replacement.")
    payload_b64: str = Field(
        description="The message value (for an event of a batch envelope, that event's JSON), base64, for "
        "replay once fixed; person identifiers redacted."
    )
    payload_redacted: bool = Field(
        False,
        description="True when the payload is not the original: person identifiers replaced by tokens and "
        "unknown fields dropped, or the whole payload dropped when it could not be parsed.",
    )
    payload_sha256: str = Field(
        description="SHA-256 of the original message value (the whole envelope for an event of a batch), "
        "to find it again on the raw topic."
    )
    rejected_at: AwareDatetime
