"""Small helpers every rule shares: severity arithmetic, great-circle geometry, and the stateless base.

Geometry is haversine on a sphere of the mean Earth radius: errors of ~0.3% against the ellipsoid do not
matter at the scale of a checkpoint pair or a 500 m corridor. Nothing here knows a particular rule.
"""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import ClassVar, Protocol

from pipeline.contracts.alert import Severity
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.reference import DeviceFamily, Place
from pipeline.contracts.sites import GeoPoint
from pipeline.rules.base import Detection, NoState, SubjectKind
from pipeline.rules.references import References

EARTH_RADIUS_M = 6_371_008.8
_SEVERITY_BY_PRIORITY = {1: Severity.CRITICAL, 2: Severity.HIGH, 3: Severity.MEDIUM, 4: Severity.LOW}


def severity_for_priority(priority: int) -> Severity:
    """Watch-list priority 1 is critical, 4 is low."""
    return _SEVERITY_BY_PRIORITY[priority]


def raised(severity: Severity, steps: int = 1) -> Severity:
    """``steps`` more urgent (negative: less urgent), within critical..low."""
    order = list(Severity)
    return order[min(len(order) - 1, max(0, severity.rank - steps))]


def most_severe(severities: Sequence[Severity]) -> Severity:
    return min(severities, key=lambda s: s.rank)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def distance_to_route_m(lat: float, lon: float, route: Sequence[GeoPoint]) -> float:
    """Shortest distance from a point to a polyline.

    Each leg is projected onto a plane tangent at the point (equirectangular): within a few tens of km
    the error is far below a GPS fix's; the distance to the nearest point found is then measured with
    haversine, so a far point still gets a true great-circle distance."""
    scale = math.cos(math.radians(lat))
    best = math.inf
    for a, b in itertools.pairwise(route):
        ax, ay = (a.lon - lon) * scale, a.lat - lat
        bx, by = (b.lon - lon) * scale, b.lat - lat
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
        near_lat, near_lon = a.lat + t * (b.lat - a.lat), a.lon + t * (b.lon - a.lon)
        best = min(best, haversine_m(lat, lon, near_lat, near_lon))
    return best


def minutes(span: timedelta) -> str:
    """'4 min 5 s' for operators."""
    seconds = int(span.total_seconds())
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


class DeviceWhere(Protocol):
    """Where a device is, as a device rule's state remembers it from the device's latest event."""

    @property
    def place(self) -> Place: ...

    @property
    def family(self) -> DeviceFamily: ...

    @property
    def site_id(self) -> str | None: ...


def device_detection(
    rule: str,
    device_id: str,
    where: DeviceWhere,
    *,
    summary: str,
    evidence: tuple[str, ...],
    first_seen: datetime,
    last_seen: datetime,
    clears: bool = False,
) -> Detection:
    """A medium detection about a device itself (subject: its id), placed where its state says it is."""
    return Detection(
        rule=rule,
        severity=Severity.MEDIUM,
        subject=device_id,
        subject_kind=SubjectKind.DEVICE_ID,
        device_id=device_id,
        place=where.place,
        family=where.family,
        site_id=where.site_id,
        summary=summary,
        evidence_event_ids=evidence,
        first_seen=first_seen,
        last_seen=last_seen,
        clears=clears,
    )


class StatelessRule(ABC):
    """A rule that judges each event on its own: no table, no repartition, no tick."""

    name: ClassVar[str]
    stateful: ClassVar[bool] = False
    state_model: ClassVar[type[NoState]] = NoState
    tick_every: ClassVar[timedelta | None] = None

    @abstractmethod
    def key(self, item: EnrichedEvent) -> str | None: ...

    @abstractmethod
    def detect(self, enriched: EnrichedEvent, refs: References) -> Detection | None:
        """The detection of this event, if it is one."""

    def apply(
        self, state: NoState | None, item: EnrichedEvent, refs: References
    ) -> tuple[NoState | None, tuple[Detection, ...]]:
        if self.key(item) is None:
            return None, ()
        detection = self.detect(item, refs)
        return None, (() if detection is None else (detection,))

    def tick(
        self, state: NoState, key: str, now: datetime, refs: References
    ) -> tuple[NoState | None, tuple[Detection, ...]]:
        return None, ()

    def due(self, state: NoState) -> datetime | None:
        return None
