"""One batch of raw messages of one family through validate -> pseudonymise -> enrich.

This is the whole per-event logic of a processing agent, as a pure function: the agent only feeds it
messages and sends what it returns. Nothing here raises on bad data; rejects become dead letters, with
person identifiers redacted from the kept payload.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pipeline.contracts import (
    DeviceFamily,
    DeviceRecord,
    EnrichedEvent,
    PersonWatchEntry,
    PlateWatchEntry,
)
from pipeline.contracts.dead_letter import DeadLetter, Origin
from pipeline.errors import InvalidEvent
from pipeline.stages.deadletter import dead_letter_for
from pipeline.stages.enrich import enrich_event
from pipeline.stages.privacy import Pseudonymiser
from pipeline.stages.validate import EventTimeLimits, check_event_time, validate_event


@dataclass(frozen=True)
class RawMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True)
class IntakeContext:
    """What the stages look things up in; the mappings are live views of the reference topics."""

    pseudonymiser: Pseudonymiser
    devices: Mapping[str, DeviceRecord]
    plate_watchlist: Mapping[str, PlateWatchEntry]
    person_watchlist: Mapping[str, PersonWatchEntry]
    event_time_limits: EventTimeLimits = field(default_factory=EventTimeLimits)


@dataclass
class BatchOutcome:
    accepted: list[tuple[RawMessage, EnrichedEvent]] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)

    @property
    def enriched(self) -> list[EnrichedEvent]:
        return [enriched for _, enriched in self.accepted]


def process_batch(
    messages: Iterable[RawMessage], family: DeviceFamily, context: IntakeContext, now: datetime
) -> BatchOutcome:
    outcome = BatchOutcome()
    for message in messages:
        try:
            event = context.pseudonymiser.pseudonymise(validate_event(message.value, family))
            check_event_time(event, now, context.event_time_limits)
            enriched = enrich_event(
                event, family, context.devices, context.plate_watchlist, context.person_watchlist
            )
        except InvalidEvent as error:
            origin = Origin(topic=message.topic, partition=message.partition, offset=message.offset)
            outcome.dead_letters.append(
                dead_letter_for(error, origin, message.key, message.value, now, family, context.pseudonymiser)
            )
            continue
        outcome.accepted.append((message, enriched))
    return outcome
