"""Gateway mode: the simulator sends batch envelopes (``contracts.batch``) as site gateways would.

A gateway collects what its devices produced within ``window_ms`` of event time and sends it as one
message keyed by the gateway id. Which gateway a device sits behind is ``GatewayScope``:
- ``site``: the device's site (a checkpoint station, a school, a residential compound, a depot), as
  the brief's 1,095 networked checkpoint systems in front of 2,798 checkpoints; devices without a site
  go through their district's collector;
- ``district``: one collector per district and family, as a district platform forwarding to the city.

A device always goes through the same gateway, so its events keep their order on the raw topic. Messages
that are not valid JSON (the simulator's malformed share) are sent alone, as a broken device's would be:
inside an envelope they would spoil their neighbours.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from pipeline.contracts.batch import MAX_BATCH_EVENTS, count_header
from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.simulate.messages import MessageKind, SimulatedMessage

DEFAULT_WINDOW_MS = 100.0
MAX_ENVELOPE_BYTES = 512 * 1024


class GatewayScope(StrEnum):
    SITE = "site"
    DISTRICT = "district"


@dataclass(frozen=True)
class OutgoingMessage:
    """What the producer sends: one event as it was, or an envelope of several."""

    family: DeviceFamily
    key: bytes
    value: bytes
    events: int
    headers: Mapping[str, bytes] | None = None


@dataclass
class _Open:
    gateway: str
    family: DeviceFamily
    opened_at: float  # event time (epoch seconds) of its first event
    values: list[bytes] = field(default_factory=list)
    size: int = 0


def gateway_lookup(devices: Mapping[str, DeviceRecord], scope: GatewayScope) -> Callable[[str], str]:
    """device id -> gateway id; unknown devices (the simulator's unregistered share) get their own."""

    def district_gateway(device: DeviceRecord) -> str:
        return f"GW-{_safe(device.place.district.upper(), 20)}-{device.family.value}"

    table = {
        device_id: _safe(device.site_id, 64)
        if scope is GatewayScope.SITE and device.site_id
        else district_gateway(device)
        for device_id, device in devices.items()
    }
    return lambda device_id: table.get(device_id) or f"GW-{_safe(device_id, 40)}"


def _safe(text: str, limit: int) -> str:
    """Only what a gateway id may hold (``EventBatch.gateway_id``)."""
    kept = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._:-") else "-" for ch in text)
    return kept[:limit] or "X"


class GatewayBatcher:
    """Turns a stream of simulated messages (in event-time order) into gateway envelopes."""

    def __init__(self, gateway_of: Callable[[str], str], window_ms: float = DEFAULT_WINDOW_MS) -> None:
        if window_ms <= 0:
            raise ValueError(f"window_ms must be > 0, got {window_ms}")
        self.gateway_of = gateway_of
        self.window_s = window_ms / 1000.0
        self._open: dict[tuple[str, DeviceFamily], _Open] = {}
        self._by_age: deque[_Open] = deque()  # opened in event-time order: the oldest is first

    def add(self, message: SimulatedMessage) -> Iterator[OutgoingMessage]:
        """What is ready to send once ``message`` arrived (envelopes whose window closed, or it alone)."""
        # A message that does not say when it happened is windowed by when it is sent.
        moment = message.event_time.timestamp() if message.event_time is not None else time.time()
        yield from self._close_older_than(moment - self.window_s)
        if message.kind is MessageKind.MALFORMED:
            yield OutgoingMessage(message.family, message.key, message.value, 1)
            return
        gateway = self.gateway_of(message.key.decode("utf-8", errors="replace"))
        slot = (gateway, message.family)
        current = self._open.get(slot)
        if current is not None and (
            len(current.values) >= MAX_BATCH_EVENTS or current.size + len(message.value) > MAX_ENVELOPE_BYTES
        ):
            yield self._close(current)
            current = None
        if current is None:
            current = self._open[slot] = _Open(gateway, message.family, moment)
            self._by_age.append(current)
        current.values.append(message.value)
        current.size += len(message.value) + 1

    def flush(self) -> Iterator[OutgoingMessage]:
        """Every envelope still open (at the end of a run)."""
        yield from self._close_older_than(float("inf"))

    def _close_older_than(self, horizon: float) -> Iterator[OutgoingMessage]:
        while self._by_age and self._by_age[0].opened_at <= horizon:
            current = self._by_age.popleft()
            if self._open.get((current.gateway, current.family)) is current:
                yield self._close(current)

    def _close(self, current: _Open) -> OutgoingMessage:
        if self._open.get((current.gateway, current.family)) is current:
            del self._open[(current.gateway, current.family)]
        current_values, current.values = current.values, []
        value = envelope(current.gateway, current_values)
        return OutgoingMessage(
            current.family,
            current.gateway.encode(),
            value,
            len(current_values),
            count_header(len(current_values)),
        )


def envelope(gateway: str, values: list[bytes]) -> bytes:
    """The batch envelope of already-serialised events (JSON objects)."""
    head = b'{"schema":"event_batch","schema_version":1,"gateway_id":"' + gateway.encode() + b'","events":['
    return head + b",".join(values) + b"]}"
