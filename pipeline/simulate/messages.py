"""What every simulator yields, one Kafka message for a family's raw topic with what it was meant to be,
and how a run counts them: progress while it runs, the summary at the end, both per family.

The publisher needs only ``family`` (the topic), ``key`` and ``value`` of a message; the rest is
bookkeeping for summaries, tests and ground truth, and never leaves the process. The counts are shared by
the publisher (what Kafka got) and the benchmark (what was generated).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from pipeline.contracts.reference import DeviceFamily
from pipeline.simulate.malformed import MalformedKind


class MessageKind(StrEnum):
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
    schema: str | None = None  # event type ('camera_heartbeat', ...)
    event_id: str | None = None
    event_time: datetime | None = None
    late: bool = False  # sent minutes after it happened (device buffered it)
    scenario: str | None = None  # the scenario that injected it


Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class FamilyTally:
    """Messages of one family by what they are."""

    sent: int = 0
    malformed: int = 0
    duplicates: int = 0
    injected: int = 0
    late: int = 0
    unknown_device: int = 0
    bytes: int = 0

    def add(self, message: SimulatedMessage) -> None:
        self.sent += 1
        self.bytes += len(message.value)
        kind = message.kind
        if kind is MessageKind.MALFORMED:
            self.malformed += 1
        elif kind is MessageKind.DUPLICATE:
            self.duplicates += 1
        elif kind is MessageKind.INJECTED:
            self.injected += 1
        elif kind is MessageKind.UNKNOWN_DEVICE:
            self.unknown_device += 1
        if message.late:
            self.late += 1


def in_family_order(tallies: Mapping[DeviceFamily, FamilyTally]) -> dict[DeviceFamily, FamilyTally]:
    return {family: tallies[family] for family in DeviceFamily if family in tallies}


@dataclass(frozen=True)
class SimulationProgress:
    """Where a running simulation stands; handed to the progress callback about once a second."""

    sent: int
    elapsed_s: float
    by_family: Mapping[DeviceFamily, int] = field(default_factory=dict)  # messages sent so far per family

    @property
    def rate_per_s(self) -> float:
        return self.sent / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass(frozen=True)
class SimulationSummary:
    """What a finished simulation sent and what the broker acknowledged."""

    sent: int
    delivered: int
    failed: int
    malformed: int
    injected: int
    unknown_device: int
    elapsed_s: float
    first_error: str | None = None
    interrupted: bool = False  # stopped early by Ctrl-C; what was sent is still flushed and counted
    duplicates: int = 0
    families: Mapping[DeviceFamily, FamilyTally] = field(default_factory=dict)

    @property
    def rate_per_s(self) -> float:
        return self.sent / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def ok(self) -> bool:
        """Every message sent was acknowledged."""
        return self.failed == 0 and self.delivered == self.sent
