"""Plate reads of the vehicle checkpoints: the largest stream of the city in daytime.

Each checkpoint reads its own background vehicles (``fleet``), so no plate is ever seen at two places;
watched plates and the scenarios' plates are skipped. Speeds follow the road: ring checkpoints on the
perimeter stand on trunk roads, urban ones in town, and at police checkpoint stations vehicles slow down to
be checked. ``plate_read_document`` is shared with the scenarios, so their reads look the same.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence

from pipeline.contracts.plate_read import Direction, PlateColour, VehicleClass
from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.rules.plates import fold_plate
from pipeline.simulate.fleet import VehicleFleet, fleet_vehicle
from pipeline.simulate.streams import Document, EventStream, GeneratedEvent
from pipeline.simulate.timing import TRAFFIC, DeviceDelays
from pipeline.simulate.vehicles import random_confidence

PLATE_READS_PER_CHECKPOINT = 4.0  # per second at the daily peak: a busy two-way road
_HIGHWAY_RINGS = frozenset({"city", "banner"})
_STOPPING = ("checkpoint_station", "security_checkpoint")  # vehicles roll through slowly to be checked
_LARGE = frozenset({VehicleClass.TRUCK, VehicleClass.BUS})
_DIRECTIONS = (Direction.INBOUND.value, Direction.OUTBOUND.value)


def road_of(device: DeviceRecord) -> tuple[float, int]:
    """(mean speed km/h, lanes) of the road a checkpoint stands on."""
    if any(word in (device.subtype or "") for word in _STOPPING):
        return 25.0, 2
    if device.ring in _HIGHWAY_RINGS:
        return 85.0, 4
    return 45.0, 3


def plate_read_document(
    rng: random.Random,
    envelope: Document,
    plate: str,
    colour: PlateColour,
    vehicle_class: VehicleClass,
    road: tuple[float, int],
) -> Document:
    mean, lanes = road
    if vehicle_class in _LARGE:
        mean *= 0.8
    speed = round(min(180.0, max(0.0, rng.gauss(mean, mean * 0.2))), 1)
    envelope.update(
        plate=plate,
        plate_colour=colour.value,
        direction=_DIRECTIONS[rng.random() < 0.5],
        lane=1 + int(rng.random() * lanes),
        speed_kmh=speed,
        vehicle_class=vehicle_class.value,
        confidence=random_confidence(rng),
    )
    return envelope


class PlateReadStream(EventStream):
    family = DeviceFamily.VEHICLE_CHECKPOINT
    schema = "plate_read"
    curve = TRAFFIC

    def __init__(
        self,
        rng: random.Random,
        delays: DeviceDelays,
        devices: Sequence[DeviceRecord],
        fleet: VehicleFleet,
        excluded_plates: Collection[str] = (),
        fleet_positions: Sequence[int] | None = None,
        watched_plates: Collection[str] = (),
    ) -> None:
        """``excluded_plates`` are never read; nor is a plate that looks like one of ``watched_plates`` to
        the watch-list rule (same folded text). ``fleet_positions``: each device's number in the fleet
        (default: its position in ``devices``)."""
        super().__init__(rng, delays, devices)
        self._fleet = fleet
        self._positions = (
            tuple(fleet_positions) if fleet_positions is not None else tuple(range(len(devices)))
        )
        self._roads = tuple(road_of(device) for device in self._devices)
        self._excluded = frozenset(excluded_plates) | frozenset(watched_plates)
        self._look_alike = frozenset(fold_plate(plate) for plate in watched_plates)

    def peak_rate(self) -> float:
        return PLATE_READS_PER_CHECKPOINT * len(self._devices)

    def make(self, send_ts: float) -> GeneratedEvent | None:
        rng = self._rng
        index = self._pick()
        k = int(rng.random() * self._fleet.per_checkpoint)
        position = self._positions[index]
        vehicle = fleet_vehicle(self._fleet.at_checkpoint(position, k))
        while vehicle.plate in self._excluded or (
            self._look_alike and fold_plate(vehicle.plate) in self._look_alike
        ):
            k += 1
            vehicle = fleet_vehicle(self._fleet.at_checkpoint(position, k))
        document, event_ts, late = self._start(index, send_ts)
        plate_read_document(
            rng, document, vehicle.plate, vehicle.colour, vehicle.vehicle_class, self._roads[index]
        )
        return self._event(index, document, event_ts, late)
