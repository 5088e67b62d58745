"""Schools and kindergartens: campus gates around school hours and the one-key alarm buttons.

Pupils, staff and parents are fixed people per school (``identity``); pupils badge in with a campus card or
by face. Margins against the rules: every background alarm press is a scheduled test (``test=True``):
``school.emergency`` fires on any other press, and those come from the school-emergency scenario only.
Denials at a campus gate are spread out like the communities' (``DenialLimiter``).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence

from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.contracts.school import AccessDirection, HolderKind
from pipeline.simulate.identity import card_number, id_number
from pipeline.simulate.streams import DenialLimiter, Document, EventStream, GeneratedEvent
from pipeline.simulate.timing import SCHOOL, WORKING, DeviceDelays, local_hour

PASSES_PER_GATE = 0.4  # people per second through a campus gate at the morning peak (720 pupils)
TEST_PRESSES_PER_WEEK = 1.0  # each button is test-pressed about once a week, in working hours
PUPILS_PER_SCHOOL = 720  # 410,000 pupils over 574 schools
_HOLDERS = (HolderKind.PUPIL, HolderKind.STAFF, HolderKind.PARENT, HolderKind.VISITOR, HolderKind.UNKNOWN)
_HOLDER_CUMULATIVE = (0.80, 0.88, 0.96, 0.99, 1.00)
_GRANTED_SHARE = {
    HolderKind.PUPIL: 0.995,
    HolderKind.STAFF: 0.998,
    HolderKind.PARENT: 0.97,
    HolderKind.VISITOR: 0.85,
    HolderKind.UNKNOWN: 0.0,  # a face nobody enrolled: the gate stays shut
}
_WORKING_HOURS_PER_WEEK = 5 * sum(WORKING)


def campus_access_document(
    document: Document,
    gate: str,
    direction: AccessDirection,
    holder_kind: HolderKind,
    holder_id: str | None,
    granted: bool,
) -> Document:
    document.update(
        gate=gate,
        direction=direction.value,
        holder_kind=holder_kind.value,
        holder_id=holder_id,
        granted=granted,
    )
    return document


def alarm_document(document: Document, button_id: str, test: bool) -> Document:
    document.update(button_id=button_id, test=test)
    return document


def _direction(rng: random.Random, hour: int) -> AccessDirection:
    # In before classes and after lunch, out at lunch and after school.
    inward = 0.9 if hour < 10 else 0.3 if hour < 12 else 0.7 if hour < 15 else 0.1
    return AccessDirection.IN if rng.random() < inward else AccessDirection.OUT


class CampusAccessStream(EventStream):
    family = DeviceFamily.SCHOOL
    schema = "campus_access"
    curve = SCHOOL

    def __init__(
        self, rng: random.Random, delays: DeviceDelays, gates: Sequence[DeviceRecord], limiter: DenialLimiter
    ) -> None:
        super().__init__(rng, delays, gates)
        self._limiter = limiter

    def peak_rate(self) -> float:
        return PASSES_PER_GATE * len(self._devices)

    def make(self, send_ts: float) -> GeneratedEvent | None:
        rng = self._rng
        index = self._pick()
        document, event_ts, late = self._start(index, send_ts)
        kind = _HOLDERS[bisect_right(_HOLDER_CUMULATIVE, rng.random())]
        member = (index + 1) * 10_000 + int(rng.random() * PUPILS_PER_SCHOOL)
        holder: str | None
        if kind is HolderKind.PUPIL:  # a campus card, or the pupil's ID number when the gate reads faces
            holder = card_number(member, "S") if rng.random() < 0.6 else id_number(member, 2008, 2021)
        elif kind is HolderKind.STAFF:
            holder = card_number(member, "T")
        elif kind in (HolderKind.PARENT, HolderKind.VISITOR):
            holder = id_number(member + 5000, 1965, 2000)
        else:
            holder = None
        granted = rng.random() < _GRANTED_SHARE[kind]
        if not granted and not self._limiter.allow(self._ids[index], event_ts):
            granted, kind, holder = True, HolderKind.PUPIL, card_number(member, "S")
        direction = _direction(rng, local_hour(event_ts))
        campus_access_document(document, "main", direction, kind, holder, granted)
        return self._event(index, document, event_ts, late)


class AlarmTestStream(EventStream):
    """Scheduled test presses of the one-key alarm buttons; real presses are the scenario's."""

    family = DeviceFamily.SCHOOL
    schema = "emergency_alarm"
    curve = WORKING

    def peak_rate(self) -> float:
        return len(self._devices) * TEST_PRESSES_PER_WEEK / (_WORKING_HOURS_PER_WEEK * 3600.0)

    def make(self, send_ts: float) -> GeneratedEvent | None:
        index = self._pick()
        document, event_ts, late = self._start(index, send_ts)
        alarm_document(document, "BTN-1", test=True)
        return self._event(index, document, event_ts, late)
