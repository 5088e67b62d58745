"""``--watch-plate`` and ``--inject-every`` in the city simulator: reads of watched plates, steadily.

Every ``inject_every``-th message is a read of the next watched plate, always at that plate's own
checkpoint (chosen by the plate): a watched car driving past the same place again and again, which raises
``watchlist.plate`` each time and, unlike reads at random checkpoints, never looks like a cloned plate.
The plates must be on the watch list already (``warmcity watchlist add``); scenarios bring their own.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Collection

import orjson

from pipeline.contracts.alert import Severity
from pipeline.contracts.plate_read import Direction
from pipeline.contracts.reference import DeviceFamily
from pipeline.reference_publish import normalise_plate
from pipeline.simulate.checkpoints import plate_read_document, road_of
from pipeline.simulate.messages import MessageKind, SimulatedMessage
from pipeline.simulate.scenarios.base import GroundTruth
from pipeline.simulate.streams import envelope
from pipeline.simulate.timing import DeviceDelays
from pipeline.simulate.vehicles import vehicle_for_plate
from pipeline.simulate.world import SimulationWorld

SCENARIO = "watch-plate"


class WatchedPlates:
    def __init__(
        self,
        world: SimulationWorld,
        plates: Collection[str],
        inject_every: int,
        delays: DeviceDelays,
        rng: random.Random,
        families: Collection[DeviceFamily],
    ) -> None:
        if inject_every < 0:
            raise ValueError(f"inject_every must be >= 0, got {inject_every}")
        self.plates = frozenset(normalise_plate(plate) for plate in plates)
        self._order = tuple(normalise_plate(plate) for plate in plates)
        checkpoints = world.devices_of(DeviceFamily.VEHICLE_CHECKPOINT)
        active = bool(self._order and checkpoints and DeviceFamily.VEHICLE_CHECKPOINT in families)
        self._every = inject_every if active else 0
        self._home = (
            {p: checkpoints[zlib.crc32(p.encode()) % len(checkpoints)] for p in self._order} if active else {}
        )
        self._delays, self._rng = delays, rng
        self._injected = 0
        self.ground_truth: list[GroundTruth] = []

    def due(self, produced: int, send_ts: float) -> SimulatedMessage | None:
        if not self._every or produced % self._every:
            return None
        plate = self._order[self._injected % len(self._order)]
        self._injected += 1
        device = self._home[plate]
        vehicle = vehicle_for_plate(plate)
        event_ts = send_ts - 0.3
        document = envelope(self._delays.event_id(), device.device_id, event_ts, "plate_read")
        plate_read_document(
            self._rng, document, plate, vehicle.colour, vehicle.vehicle_class, road_of(device)
        )
        document["direction"] = Direction.INBOUND.value
        event_id = str(document["event_id"])
        self.ground_truth.append(
            GroundTruth.of_event(
                scenario=SCENARIO,
                rule="watchlist.plate",
                subject=plate,
                subject_kind="plate",
                device_id=device.device_id,
                event_id=event_id,
                event_ts=event_ts,
                # Severity follows the watch-list entry the operator added (not known here); ring: one up.
                severity=Severity.CRITICAL if device.ring else Severity.HIGH,
                note="--watch-plate: severity assumes priority 2",
            )
        )
        return SimulatedMessage(
            key=device.device_id.encode(),
            value=orjson.dumps(document, option=orjson.OPT_UTC_Z),
            kind=MessageKind.INJECTED,
            family=DeviceFamily.VEHICLE_CHECKPOINT,
            schema="plate_read",
            event_id=event_id,
            event_time=document["event_time"],
            scenario=SCENARIO,
        )
