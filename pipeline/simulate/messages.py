"""What every simulator yields: one Kafka message for a family's raw topic, with what it was meant to be.

The publisher needs only ``family`` (the topic), ``key`` and ``value``; the rest is bookkeeping for
summaries, tests and ground truth, and never leaves the process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from pipeline.contracts.reference import DeviceFamily
from pipeline.simulate.malformed import MalformedKind


class MessageKind(StrEnum):
    PLATE_READ = "plate_read"  # a valid read at a registered checkpoint (the plate-only generator)
    EVENT = "event"  # a valid background event of any family from a registered device
    INJECTED = "injected"  # a valid event a scenario (or --watch-plate) put there on purpose
    UNKNOWN_DEVICE = "unknown_device"  # a valid event from a device id not in the registry
    MALFORMED = "malformed"  # fails its family's validation; see ``malformed_kind``
    DUPLICATE = "duplicate"  # a device's retry: the same key and value as a message sent shortly before


@dataclass(frozen=True, slots=True)
class SimulatedMessage:
    """One message for a raw topic (``Topics.raw(family)``), key = device_id."""

    key: bytes
    value: bytes
    kind: MessageKind
    malformed_kind: MalformedKind | None = None
    family: DeviceFamily = DeviceFamily.VEHICLE_CHECKPOINT
    schema: str | None = None  # event type ('camera_heartbeat', ...); None for the plate-only generator
    event_id: str | None = None
    event_time: datetime | None = None
    late: bool = False  # sent minutes after it happened (device buffered it)
    scenario: str | None = None  # the scenario that injected it


Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
