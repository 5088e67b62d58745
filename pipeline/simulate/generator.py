"""The pure part of the plate-read simulator: a seeded, endless stream of checkpoint messages.

``PlateReadGenerator`` yields ``SimulatedMessage``s exactly as a checkpoint would put them on the raw topic:
key = ``device_id`` (UTF-8), value = JSON of a ``PlateRead`` with ``"schema": "plate_read"``. Mixed in, on
request: reads of watched plates every N events, malformed messages and reads from unregistered devices.
No Kafka here; with a fixed clock the stream is the same for the same seed.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from datetime import timedelta

from pipeline.contracts.plate_read import Direction, PlateRead
from pipeline.contracts.reference import DeviceRecord
from pipeline.reference_publish import normalise_plate
from pipeline.simulate.malformed import malform
from pipeline.simulate.messages import Clock, MessageKind, SimulatedMessage, utc_now
from pipeline.simulate.vehicles import (
    Vehicle,
    random_confidence,
    random_lane,
    random_speed_kmh,
    random_vehicle,
    vehicle_for_plate,
)

_HIGHWAY_RINGS = frozenset({"city", "banner"})  # ring checkpoints on the perimeter stand on trunk roads


class PlateReadGenerator:
    """Seeded source of checkpoint messages; iterate it, or call ``next_message()``/``take(n)``."""

    def __init__(
        self,
        devices: Sequence[DeviceRecord],
        seed: int,
        watched_plates: Sequence[str] = (),
        inject_every: int = 0,
        malformed_share: float = 0.0,
        unknown_device_share: float = 0.0,
        clock: Clock = utc_now,
        max_delay_s: float = 2.0,
    ) -> None:
        """``inject_every``: every N-th event (N, 2N, ...) is a read of the next watched plate; 0 never.

        ``malformed_share`` and ``unknown_device_share`` are the probabilities, in [0, 1), that a
        non-injected event is malformed or comes from an unregistered device. ``event_time`` is ``clock()``
        minus up to ``max_delay_s`` (the device's transmission delay).
        """
        if not devices:
            raise ValueError("at least one device is needed")
        if inject_every < 0:
            raise ValueError(f"inject_every must be >= 0, got {inject_every}")
        for name, share in (
            ("malformed_share", malformed_share),
            ("unknown_device_share", unknown_device_share),
        ):
            if not 0.0 <= share < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {share}")
        if max_delay_s < 0:
            raise ValueError(f"max_delay_s must be >= 0, got {max_delay_s}")
        self._devices = tuple(devices)
        self._known_ids = frozenset(device.device_id for device in devices)
        self._watched = tuple(normalise_plate(plate) for plate in watched_plates)
        self._watched_set = frozenset(self._watched)
        self._inject_every = inject_every if self._watched else 0
        self._malformed_share = malformed_share
        self._unknown_share = unknown_device_share
        self._clock = clock
        self._max_delay_s = max_delay_s
        self._rng = random.Random(f"warmcity-plate-reads:{seed}")
        self._produced = 0
        self._injected = 0

    @property
    def produced(self) -> int:
        """Messages made so far."""
        return self._produced

    def __iter__(self) -> Iterator[SimulatedMessage]:
        while True:
            yield self.next_message()

    def take(self, count: int) -> list[SimulatedMessage]:
        return [self.next_message() for _ in range(count)]

    def next_message(self) -> SimulatedMessage:
        self._produced += 1
        rng = self._rng
        device = rng.choice(self._devices)
        if self._inject_every and self._produced % self._inject_every == 0:
            plate = self._watched[self._injected % len(self._watched)]
            self._injected += 1
            return self._message(
                device.device_id, device.ring, vehicle_for_plate(plate), MessageKind.INJECTED
            )
        if rng.random() < self._malformed_share:
            read = self._read(device.device_id, device.ring, self._ordinary_vehicle())
            kind, value = malform(rng, read.model_dump(mode="json", by_alias=True))
            return SimulatedMessage(device.device_id.encode(), value, MessageKind.MALFORMED, kind)
        if rng.random() < self._unknown_share:
            return self._message(
                self._unknown_device_id(), None, self._ordinary_vehicle(), MessageKind.UNKNOWN_DEVICE
            )
        return self._message(device.device_id, device.ring, self._ordinary_vehicle(), MessageKind.PLATE_READ)

    def _message(
        self, device_id: str, ring: str | None, vehicle: Vehicle, kind: MessageKind
    ) -> SimulatedMessage:
        read = self._read(device_id, ring, vehicle)
        return SimulatedMessage(device_id.encode(), read.model_dump_json(by_alias=True).encode(), kind)

    def _read(self, device_id: str, ring: str | None, vehicle: Vehicle) -> PlateRead:
        rng = self._rng
        highway = ring in _HIGHWAY_RINGS
        delay = timedelta(seconds=rng.uniform(0.0, self._max_delay_s))
        return PlateRead(
            event_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            device_id=device_id,
            event_time=self._clock() - delay,
            plate=vehicle.plate,
            plate_colour=vehicle.colour,
            direction=rng.choice((Direction.INBOUND, Direction.OUTBOUND)),
            lane=random_lane(rng, highway),
            speed_kmh=random_speed_kmh(rng, vehicle.vehicle_class, highway),
            vehicle_class=vehicle.vehicle_class,
            confidence=random_confidence(rng),
        )

    def _ordinary_vehicle(self) -> Vehicle:
        # A random plate that happens to be watched would blur the injection cadence the tests rely on.
        while True:
            vehicle = random_vehicle(self._rng)
            if vehicle.plate not in self._watched_set:
                return vehicle

    def _unknown_device_id(self) -> str:
        # 'ZZ' is no district code, and the loop guards registries that are not from build_city.
        while True:
            candidate = f"KK-ZZ-{self._rng.randrange(10_000):04d}"
            if candidate not in self._known_ids:
                return candidate
