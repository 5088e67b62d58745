"""Civil-explosives sensors: depot doors, depot stock counts, and transport vehicles on their permits.

Margins against the rules: a background door opens only inside one of its depot's permitted windows, at
least 10 minutes after it starts and 30 before it ends, and closes within 15 minutes; a background stock
count without ``dispatch_id`` always equals the depot's nominal stock (a dispatch lowers the count and names
itself; the depot is restocked before the next count); a background vehicle's GPS fix stays within a
quarter of its permit's corridor and it only drives while its permit is valid.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Mapping, Sequence

from pipeline.contracts.explosives import DoorAction
from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.contracts.sites import DepotRecord, TransportPermit
from pipeline.simulate.geo import Point, along, offset, route_length_km
from pipeline.simulate.identity import card_number
from pipeline.simulate.streams import Document, EventStream, GeneratedEvent, envelope
from pipeline.simulate.timing import FLAT, WORKING, DeviceDelays, as_datetime, local_seconds

OPENINGS_EVERY_S = 600.0  # a depot door opens about every ten minutes while the depot works
COUNT_EVERY_S = 300.0  # stock sensors report every five minutes, day and night
POSITION_EVERY_S = 10.0
OPEN_MARGIN_S = (600.0, 1800.0)  # background openings: >= 10 min after a window opens, 30 before it closes
GPS_SHARE_OF_CORRIDOR = 0.25
TRUCK_KMH = 45.0
DWELL_S = 1200.0  # loading at the depot, unloading at the blasting site


def unit_of(item: str) -> str:
    if "detonator" in item:
        return "piece"
    return "m" if "cord" in item or "fuse" in item else "kg"


def door_document(document: Document, door: str, action: DoorAction, operator: str | None) -> Document:
    document.update(door=door, action=action.value, operator_id=operator)
    return document


def inventory_document(document: Document, item: str, count: int, dispatch_id: str | None) -> Document:
    document.update(item=item, count=count, unit=unit_of(item), dispatch_id=dispatch_id)
    return document


def position_document(
    document: Document, permit: TransportPermit, point: Point, speed: float, heading: float
) -> Document:
    document.update(
        plate=permit.plate,
        permit_id=permit.permit_id,
        lat=round(point[0], 6),
        lon=round(point[1], 6),
        speed_kmh=round(speed, 1),
        heading_deg=round(heading, 1) % 360.0,
    )
    return document


def open_window(depot: DepotRecord, event_ts: float, margins: tuple[float, float] = OPEN_MARGIN_S) -> bool:
    """Whether a door may open at ``event_ts`` (local time) with the given margins inside a window."""
    seconds = local_seconds(event_ts)
    for start, end in depot.windows():
        start_s = start.hour * 3600 + start.minute * 60
        end_s = 86400 if end.hour == 23 and end.minute == 59 else end.hour * 3600 + end.minute * 60
        if start_s + margins[0] <= seconds <= end_s - margins[1]:
            return True
    return False


class DepotDoorStream(EventStream):
    family = DeviceFamily.EXPLOSIVES
    schema = "depot_door"
    curve = WORKING

    def __init__(
        self,
        rng: random.Random,
        delays: DeviceDelays,
        doors: Sequence[DeviceRecord],
        depot_of: Mapping[str, DepotRecord],
    ) -> None:
        super().__init__(rng, delays, [d for d in doors if d.device_id in depot_of])
        self._depots = tuple(depot_of[device_id] for device_id in self._ids)

    def peak_rate(self) -> float:
        return len(self._devices) / OPENINGS_EVERY_S

    def make(self, send_ts: float) -> GeneratedEvent | None:
        first = self._pick()
        for step in range(len(self._ids)):
            index = (first + step) % len(self._ids)
            document, event_ts, late = self._start(index, send_ts)
            if open_window(self._depots[index], event_ts):
                break
        else:
            return None  # every depot is closed now
        rng = self._rng
        door = "main" if rng.random() < 0.7 else f"store-{1 + int(rng.random() * 3)}"
        operator = card_number(zlib.crc32(self._ids[index].encode()) * 16 + int(rng.random() * 6), "BG")
        door_document(document, door, DoorAction.OPEN, operator)
        close_ts = event_ts + rng.uniform(120.0, 900.0)
        closing = envelope(self._delays.event_id(), self._ids[index], close_ts, self.schema)
        door_document(closing, door, DoorAction.CLOSE, None)
        follow_up = GeneratedEvent(self.family, self.schema, self._ids[index], closing, close_ts)
        return GeneratedEvent(self.family, self.schema, self._ids[index], document, event_ts, late, follow_up)


class InventoryStream(EventStream):
    family = DeviceFamily.EXPLOSIVES
    schema = "depot_inventory"
    curve = FLAT

    def __init__(
        self,
        rng: random.Random,
        delays: DeviceDelays,
        sensors: Sequence[DeviceRecord],
        depot_of: Mapping[str, DepotRecord],
    ) -> None:
        usable = [d for d in sensors if d.device_id in depot_of and depot_of[d.device_id].stock]
        super().__init__(rng, delays, usable)
        self._stock = tuple(tuple(sorted(depot_of[i].stock.items())) for i in self._ids)

    def peak_rate(self) -> float:
        return len(self._devices) / COUNT_EVERY_S

    def make(self, send_ts: float) -> GeneratedEvent | None:
        rng = self._rng
        index = self._pick()
        document, event_ts, late = self._start(index, send_ts)
        stock = self._stock[index]
        item, nominal = stock[int(rng.random() * len(stock))]
        count, dispatch_id = nominal, None
        if rng.random() < 0.1 and nominal > 1 and in_working_hours(event_ts):
            count = nominal - max(1, int(nominal * rng.uniform(0.01, 0.1)))
            dispatch_id = f"DSP-{as_datetime(event_ts):%Y%m%d}-{rng.getrandbits(20):06d}"
        inventory_document(document, item, count, dispatch_id)
        return self._event(index, document, event_ts, late)


def in_working_hours(event_ts: float) -> bool:
    # Dispatches leave in working hours only.
    return WORKING[int(local_seconds(event_ts) // 3600)] > 0


class TransportStream(EventStream):
    """GPS fixes of the transport vehicles: depot, drive along the route, blasting site, drive back."""

    family = DeviceFamily.EXPLOSIVES
    schema = "transport_position"
    curve = WORKING

    def __init__(
        self,
        rng: random.Random,
        delays: DeviceDelays,
        trackers: Sequence[DeviceRecord],
        permit_of: Mapping[str, TransportPermit],
    ) -> None:
        super().__init__(rng, delays, [d for d in trackers if d.device_id in permit_of])
        self._permits = tuple(permit_of[i] for i in self._ids)
        self._routes = tuple(tuple((p.lat, p.lon) for p in permit.route) for permit in self._permits)
        self._drive_s = tuple(3600.0 * route_length_km(route) / TRUCK_KMH for route in self._routes)

    def peak_rate(self) -> float:
        return len(self._devices) / POSITION_EVERY_S

    def make(self, send_ts: float) -> GeneratedEvent | None:
        first = self._pick()
        for step in range(len(self._ids)):
            index = (first + step) % len(self._ids)
            document, event_ts, late = self._start(index, send_ts)
            if self._permits[index].valid_at(as_datetime(event_ts)):
                break
        else:
            return None
        point, speed, heading = self.where(index, event_ts)
        permit = self._permits[index]
        noise_km = permit.corridor_m / 1000.0 * GPS_SHARE_OF_CORRIDOR * self._rng.random()
        point = offset(point, noise_km, self._rng.uniform(0.0, 360.0))
        position_document(document, permit, point, speed, heading)
        return self._event(index, document, event_ts, late)

    def where(self, index: int, ts: float) -> tuple[Point, float, float]:
        """(position on the route, speed, heading) of vehicle ``index`` at ``ts``."""
        drive = self._drive_s[index]
        cycle = 2 * (drive + DWELL_S)
        phase = (ts + zlib.crc32(self._ids[index].encode()) % 3600) % cycle
        route = self._routes[index]
        if phase < DWELL_S:
            return route[0], 0.0, 0.0
        if phase < DWELL_S + drive:
            point, heading = along(route, (phase - DWELL_S) / drive)
            return point, TRUCK_KMH + self._rng.uniform(-8.0, 8.0), heading
        if phase < 2 * DWELL_S + drive:
            return route[-1], 0.0, 0.0
        point, heading = along(route, 1.0 - (phase - 2 * DWELL_S - drive) / drive)
        return point, TRUCK_KMH + self._rng.uniform(-8.0, 8.0), (heading + 180.0) % 360.0
