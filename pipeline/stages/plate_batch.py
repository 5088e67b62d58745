"""One batch of raw plate-read messages through validate -> enrich -> detect, with rejects dead-lettered.

This is the whole per-event logic of the processing agent, as a pure function: the agent only feeds it
messages and sends what it returns. Nothing here raises on bad data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pipeline.contracts import Alert, DeviceRecord, EnrichedPlateRead, PlateWatchEntry
from pipeline.contracts.dead_letter import DeadLetter, Origin
from pipeline.errors import InvalidEvent
from pipeline.stages.deadletter import dead_letter_for
from pipeline.stages.detect import detect_watchlisted_plate
from pipeline.stages.enrich import enrich_plate_read
from pipeline.stages.validate import validate_plate_read


@dataclass(frozen=True)
class RawMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass
class BatchOutcome:
    enriched: list[EnrichedPlateRead] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)


def process_plate_batch(
    messages: Iterable[RawMessage],
    devices: Mapping[str, DeviceRecord],
    watchlist: Mapping[str, PlateWatchEntry],
    now: datetime,
) -> BatchOutcome:
    outcome = BatchOutcome()
    for message in messages:
        try:
            read = validate_plate_read(message.value)
            enriched = enrich_plate_read(read, devices, watchlist)
        except InvalidEvent as error:
            origin = Origin(topic=message.topic, partition=message.partition, offset=message.offset)
            outcome.dead_letters.append(dead_letter_for(error, origin, message.key, message.value, now))
            continue
        outcome.enriched.append(enriched)
        alert = detect_watchlisted_plate(enriched, watchlist, now)
        if alert is not None:
            outcome.alerts.append(alert)
    return outcome
