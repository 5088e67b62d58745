"""Smart residential communities: residents and visitors at the person gates and vehicle barriers.

Each community has its own residents (``identity``) and residents' cars (``fleet``: plates no checkpoint
reads, so they cannot look cloned). A few percent of attempts are denied, for reasons a gate really gives;
``DenialLimiter`` keeps background denials at one device to at most 3 within 5 minutes, against the 5 that
``access.repeated_denials`` looks for.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Collection, Sequence

from pipeline.contracts.community import AccessMethod
from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.contracts.school import AccessDirection
from pipeline.rules.plates import fold_plate
from pipeline.simulate.fleet import VehicleFleet, fleet_vehicle
from pipeline.simulate.identity import card_number, id_number
from pipeline.simulate.streams import DenialLimiter, Document, EventStream, GeneratedEvent
from pipeline.simulate.timing import RESIDENTIAL, DeviceDelays, local_hour

PEOPLE_PER_GATE = 0.3  # per second at the evening peak
VEHICLES_PER_BARRIER = 0.1
RESIDENTS_PER_COMMUNITY = 3000
PERSON_DENY_SHARE = 0.02
VEHICLE_DENY_SHARE = 0.03
_METHODS = (AccessMethod.FACE, AccessMethod.CARD, AccessMethod.QR, AccessMethod.PIN)
_METHOD_CUMULATIVE = (0.50, 0.85, 0.95, 1.00)
_DENY_REASONS = {
    AccessMethod.FACE: ("face_not_recognised",),
    AccessMethod.CARD: ("card_not_registered", "card_expired"),
    AccessMethod.QR: ("qr_expired",),
    AccessMethod.PIN: ("pin_wrong",),
}
_COMMUNITY_PEOPLE = 30_000_000  # person numbers of residents start here (schools use lower ones)


def person_access_document(
    document: Document,
    gate: str,
    direction: AccessDirection,
    method: AccessMethod,
    holder_id: str | None,
    deny_reason: str | None,
) -> Document:
    document.update(
        gate=gate,
        direction=direction.value,
        method=method.value,
        holder_id=holder_id,
        granted=deny_reason is None,
        deny_reason=deny_reason,
    )
    return document


def vehicle_access_document(
    document: Document, gate: str, direction: AccessDirection, plate: str, deny_reason: str | None
) -> Document:
    document.update(
        gate=gate,
        direction=direction.value,
        plate=plate,
        granted=deny_reason is None,
        deny_reason=deny_reason,
    )
    return document


def _direction(rng: random.Random, event_ts: float) -> AccessDirection:
    outward = 0.7 if local_hour(event_ts) < 12 else 0.35  # out to work in the morning, home in the evening
    return AccessDirection.OUT if rng.random() < outward else AccessDirection.IN


class _CommunityStream(EventStream):
    def __init__(
        self,
        rng: random.Random,
        delays: DeviceDelays,
        devices: Sequence[DeviceRecord],
        communities: Sequence[str],
        limiter: DenialLimiter,
    ) -> None:
        super().__init__(rng, delays, devices)
        number = {site_id: n for n, site_id in enumerate(communities)}
        self._community = tuple(
            number.get(d.site_id or "", n % max(1, len(communities))) for n, d in enumerate(self._devices)
        )
        self._limiter = limiter

    def _denied(self, index: int, event_ts: float, share: float) -> bool:
        return self._rng.random() < share and self._limiter.allow(self._ids[index], event_ts)


class PersonAccessStream(_CommunityStream):
    family = DeviceFamily.COMMUNITY
    schema = "person_access"
    curve = RESIDENTIAL

    def peak_rate(self) -> float:
        return PEOPLE_PER_GATE * len(self._devices)

    def make(self, send_ts: float) -> GeneratedEvent | None:
        rng = self._rng
        index = self._pick()
        document, event_ts, late = self._start(index, send_ts)
        method = _METHODS[bisect_right(_METHOD_CUMULATIVE, rng.random())]
        resident = _COMMUNITY_PEOPLE + self._community[index] * RESIDENTS_PER_COMMUNITY
        resident += int(rng.random() * RESIDENTS_PER_COMMUNITY)
        denied = self._denied(index, event_ts, PERSON_DENY_SHARE)
        holder: str | None
        if method is AccessMethod.FACE:
            holder = None if denied else id_number(resident, 1940, 2016)
        elif method is AccessMethod.CARD:
            holder = card_number(resident)
        elif method is AccessMethod.QR:  # a visitor registered by a resident
            holder = id_number(resident + 7 * RESIDENTS_PER_COMMUNITY // 3, 1950, 2006)
        else:
            holder = None
        reasons = _DENY_REASONS[method]
        reason = reasons[int(rng.random() * len(reasons))] if denied else None
        person_access_document(document, "main", _direction(rng, event_ts), method, holder, reason)
        return self._event(index, document, event_ts, late)


class VehicleAccessStream(_CommunityStream):
    family = DeviceFamily.COMMUNITY
    schema = "vehicle_access"
    curve = RESIDENTIAL

    def __init__(
        self,
        rng: random.Random,
        delays: DeviceDelays,
        devices: Sequence[DeviceRecord],
        communities: Sequence[str],
        limiter: DenialLimiter,
        fleet: VehicleFleet,
        excluded_plates: Collection[str] = (),
        watched_plates: Collection[str] = (),
    ) -> None:
        super().__init__(rng, delays, devices, communities, limiter)
        self._fleet = fleet
        self._excluded = frozenset(excluded_plates) | frozenset(watched_plates)
        self._look_alike = frozenset(fold_plate(plate) for plate in watched_plates)

    def peak_rate(self) -> float:
        return VEHICLES_PER_BARRIER * len(self._devices)

    def make(self, send_ts: float) -> GeneratedEvent | None:
        rng = self._rng
        index = self._pick()
        document, event_ts, late = self._start(index, send_ts)
        k = int(rng.random() * self._fleet.per_community)
        plate = fleet_vehicle(self._fleet.of_community(self._community[index], k)).plate
        if plate in self._excluded or (self._look_alike and fold_plate(plate) in self._look_alike):
            return None
        # Residents' cars are registered; the denials are visitors without a pass or a full car park.
        reason = None
        if self._denied(index, event_ts, VEHICLE_DENY_SHARE):
            reason = "unregistered_vehicle" if rng.random() < 0.8 else "no_free_space"
        vehicle_access_document(document, "main", _direction(rng, event_ts), plate, reason)
        return self._event(index, document, event_ts, late)
