"""One batch of raw messages of one family through validate -> pseudonymise -> enrich.

This is the whole per-event logic of a processing agent, as a pure function: the agent only feeds it
messages and sends what it returns. Nothing here raises on bad data; rejects become dead letters, with
person identifiers redacted from the kept payload.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from pipeline.contracts import (
    DeviceFamily,
    DeviceRecord,
    EnrichedEvent,
    PersonWatchEntry,
    PlateWatchEntry,
)
from pipeline.contracts.dead_letter import DeadLetter, Origin
from pipeline.contracts.sites import GridCellRecord
from pipeline.errors import InvalidEvent
from pipeline.stages.deadletter import dead_letter_for
from pipeline.stages.enrich import enrich_event
from pipeline.stages.locate import CellLocator
from pipeline.stages.privacy import Pseudonymiser
from pipeline.stages.validate import (
    EventTimeAhead,
    EventTimeLimits,
    check_event_time,
    decode_message,
    validate_document,
)


@dataclass(frozen=True)
class RawMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def _no_cells() -> Mapping[str, GridCellRecord]:
    return {}


@dataclass(frozen=True)
class IntakeContext:
    """What the stages look things up in; the mappings are live views of the reference topics. Without
    ``grid_cells``, events that carry their own position keep their device's registered place."""

    pseudonymiser: Pseudonymiser
    devices: Mapping[str, DeviceRecord]
    plate_watchlist: Mapping[str, PlateWatchEntry]
    person_watchlist: Mapping[str, PersonWatchEntry]
    event_time_limits: EventTimeLimits = field(default_factory=EventTimeLimits)
    grid_cells: Mapping[str, GridCellRecord] = field(default_factory=_no_cells)
    locator: CellLocator = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "locator", CellLocator(self.grid_cells))


@dataclass
class BatchOutcome:
    accepted: list[tuple[RawMessage, EnrichedEvent]] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    #: For each event dead-lettered as timed too far ahead: by how many seconds (the clock-skew metric).
    future_ahead_s: list[float] = field(default_factory=list)

    @property
    def enriched(self) -> list[EnrichedEvent]:
        return [enriched for _, enriched in self.accepted]


def process_batch(
    messages: Iterable[RawMessage], family: DeviceFamily, context: IntakeContext, now: datetime
) -> BatchOutcome:
    """Every event of ``messages``: a message is one event or a batch envelope of several
    (``contracts.batch``); an unusable message is one dead letter, an unusable event of a batch too."""
    outcome = BatchOutcome()
    for message in messages:
        try:
            items = decode_message(message.value)
        except InvalidEvent as error:
            outcome.dead_letters.append(
                _dead_letter(error, message, None, message.value, family, context, now)
            )
            continue
        for item in items:
            try:
                if item.error is not None:
                    raise item.error
                event = context.pseudonymiser.pseudonymise(validate_document(item.document, family))
                check_event_time(event, now, context.event_time_limits)
                enriched = enrich_event(
                    event,
                    family,
                    context.devices,
                    context.plate_watchlist,
                    context.person_watchlist,
                    context.locator,
                )
            except InvalidEvent as error:
                if isinstance(error, EventTimeAhead):
                    outcome.future_ahead_s.append(error.ahead_s)
                value = message.value if item.index is None else orjson.dumps(item.document)
                outcome.dead_letters.append(
                    _dead_letter(error, message, item.index, value, family, context, now)
                )
                continue
            outcome.accepted.append((message, enriched))
    return outcome


def _dead_letter(
    error: InvalidEvent,
    message: RawMessage,
    index: int | None,
    value: bytes | None,
    family: DeviceFamily,
    context: IntakeContext,
    now: datetime,
) -> DeadLetter:
    origin = Origin(topic=message.topic, partition=message.partition, offset=message.offset, index=index)
    letter = dead_letter_for(error, origin, message.key, value, now, family, context.pseudonymiser)
    if index is not None and message.value is not None:  # find the message by the digest of all of it
        letter = letter.model_copy(update={"payload_sha256": hashlib.sha256(message.value).hexdigest()})
    return letter
