"""The shape every background event stream shares, and the helpers they build documents with.

An ``EventStream`` is one event type of one family (plate reads, camera crowd counts, campus access, ...):
it knows its natural rate at the city's scale (events/s at the peak of its daily curve) and makes one event
for a send time. Documents are plain dicts in the contract's field order with the contract's JSON names,
so ``orjson.dumps(document, option=OPT_UTC_Z)`` gives the same bytes as the model's
``model_dump_json(by_alias=True)`` (a test holds the two together); building pydantic models per event
would cost more than the whole budget of a message.
"""

from __future__ import annotations

import random
import zlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.simulate.timing import DeviceDelays, as_datetime

Document = dict[str, Any]

DENIAL_WINDOW_S = 300.0  # access.repeated_denials counts denials at one gate within 5 minutes ...
MAX_BACKGROUND_DENIALS = 3  # ... and fires at 5; the background never has more than 3 in any window


@dataclass(frozen=True, slots=True)
class GeneratedEvent:
    """A valid event as a device would send it, before it is serialised (or broken, or duplicated)."""

    family: DeviceFamily
    schema: str
    device_id: str
    document: Document
    event_ts: float
    late: bool = False
    # What the same device sends a little later as a consequence (a door closing after it opened, video
    # coming back after a loss); the simulator sends it at its own event time plus a delay.
    follow_up: GeneratedEvent | None = None


def envelope(event_id: str, device_id: str, event_ts: float, schema: str) -> Document:
    """The first fields of every event, in the order the contracts declare them."""
    return {
        "schema": schema,
        "schema_version": 1,
        "event_id": event_id,
        "device_id": device_id,
        "event_time": as_datetime(event_ts),
    }


def device_delay(device: DeviceRecord) -> float:
    """The device's own typical transmission delay (stable: derived from its id)."""
    return DeviceDelays.base_delay_s(zlib.crc32(device.device_id.encode()))


class EventStream(ABC):
    """Background events of one type: a natural rate by local hour and a maker of events."""

    family: ClassVar[DeviceFamily]
    schema: ClassVar[str]
    curve: ClassVar[Sequence[float]]

    def __init__(self, rng: random.Random, delays: DeviceDelays, devices: Sequence[DeviceRecord]) -> None:
        self._rng = rng
        self._delays = delays
        self._devices = tuple(devices)
        self._ids = tuple(device.device_id for device in self._devices)
        self._base_delays = tuple(device_delay(device) for device in self._devices)

    @property
    def devices(self) -> tuple[DeviceRecord, ...]:
        return self._devices

    @abstractmethod
    def peak_rate(self) -> float:
        """Events/s of all this stream's devices at the peak of its curve."""

    def rate_at(self, hour: int) -> float:
        return self.peak_rate() * self.curve[hour] if self._devices else 0.0

    @abstractmethod
    def make(self, send_ts: float) -> GeneratedEvent | None:
        """One event sent at ``send_ts``; None when none of the devices can send one at that time."""

    def _pick(self) -> int:
        return int(self._rng.random() * len(self._ids))

    def _start(self, index: int, send_ts: float, may_be_late: bool = True) -> tuple[Document, float, bool]:
        """The envelope of an event of device ``index`` sent at ``send_ts``: (document, event_ts, late)."""
        event_ts, late = self._delays.stamp(self._base_delays[index], send_ts, may_be_late)
        return envelope(self._delays.event_id(), self._ids[index], event_ts, self.schema), event_ts, late

    def _event(self, index: int, document: Document, event_ts: float, late: bool) -> GeneratedEvent:
        return GeneratedEvent(self.family, self.schema, self._ids[index], document, event_ts, late)


class DenialLimiter:
    """Keeps background denials spread out: at most ``MAX_BACKGROUND_DENIALS`` per device within
    ``DENIAL_WINDOW_S`` of each other, in event time (late events included), so that only a scenario ever
    makes a gate look attacked."""

    def __init__(self) -> None:
        self._recent: dict[str, list[float]] = {}
        self._newest = float("-inf")

    def allow(self, device_id: str, event_ts: float) -> bool:
        # Every accepted denial had at most MAX - 1 others within the window of it, so no window of
        # DENIAL_WINDOW_S holds more than MAX of them.
        self._newest = max(self._newest, event_ts)
        times = self._recent.setdefault(device_id, [])
        # Late events reach back up to 15 minutes: 20 minutes of history is enough.
        times[:] = [t for t in times if t >= self._newest - 1200.0]
        if sum(1 for t in times if abs(t - event_ts) < DENIAL_WINDOW_S) >= MAX_BACKGROUND_DENIALS:
            return False
        times.append(event_ts)
        return True
