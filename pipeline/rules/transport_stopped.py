"""``explosives.stopped_too_long``: a transport vehicle standing still away from its depot and destination.

Key and subject: the plate. A fix at or below ``stop_speed_kmh`` starts (or continues) a stop at the
first fix's position; a stop within ``stop_exempt_radius_m`` of the permit's depot or destination site
(or the route's ends) is loading or unloading and never fires. A stop elsewhere fires (high) once it
has lasted strictly longer than the permit's ``max_stop_minutes``: on a later fix, or by ``tick`` when
fixes stopped coming (a silent standing truck is no less worrying). The next moving fix clears it; a
moving fix that ends a silence past the limit, with no tick in between, raises it and clears it.
Late fixes (older than the newest) are ignored. Must not judge the corridor: ``explosives.off_corridor``
does, and a truck may be both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict

from pipeline.contracts.alert import Severity
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.explosives import TransportPosition
from pipeline.contracts.reference import DeviceFamily, Place
from pipeline.rules.base import Detection, SubjectKind
from pipeline.rules.common import haversine_m, minutes
from pipeline.rules.references import References
from pipeline.rules.settings import RuleSettings

RULE = "explosives.stopped_too_long"


class Stop(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    since: AwareDatetime
    lat: float
    lon: float
    event_id: str  # the first standing fix
    exempt: bool  # at the depot or the destination
    limit_minutes: float  # the permit's max_stop_minutes when the stop began
    alerted: bool = False


class StopState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    last_fix: AwareDatetime
    last_event_id: str
    permit_id: str
    device_id: str
    place: Place
    site_id: str | None = None
    stop: Stop | None = None


@dataclass(frozen=True)
class StoppedTooLongRule:
    settings: RuleSettings = field(default_factory=RuleSettings)
    name: ClassVar[str] = RULE
    # The event types ``key`` can accept: the engine asks this rule about no other (see base.Rule).
    event_types: ClassVar[tuple[type[EventEnvelope], ...]] = (TransportPosition,)
    stateful: ClassVar[bool] = True
    state_model: ClassVar[type[StopState]] = StopState
    tick_every: ClassVar[timedelta | None] = timedelta(seconds=30)

    def key(self, item: EnrichedEvent) -> str | None:
        return item.event.plate if isinstance(item.event, TransportPosition) else None

    def _exempt(self, fix: TransportPosition, refs: References) -> bool:
        permit = refs.permits.get(fix.permit_id)
        if permit is None:
            return False
        places = [(p.lat, p.lon) for p in (permit.route[0], permit.route[-1])]
        for site_id in (permit.depot_id, permit.destination_site_id):
            if (site := refs.sites.get(site_id)) is not None:
                places.append((site.place.lat, site.place.lon))
        radius = self.settings.stop_exempt_radius_m
        return any(haversine_m(fix.lat, fix.lon, lat, lon) <= radius for lat, lon in places)

    def _limit_minutes(self, permit_id: str, refs: References) -> float:
        permit = refs.permits.get(permit_id)
        return permit.max_stop_minutes if permit is not None else self.settings.default_max_stop_minutes

    def apply(
        self, state: StopState | None, item: EnrichedEvent, refs: References
    ) -> tuple[StopState | None, tuple[Detection, ...]]:
        fix = item.event
        if not isinstance(fix, TransportPosition):
            return state, ()
        if state is not None and fix.event_time <= state.last_fix:
            return state, ()
        stop = state.stop if state is not None else None
        new_state = StopState(
            last_fix=fix.event_time,
            last_event_id=fix.event_id,
            permit_id=fix.permit_id,
            device_id=fix.device_id,
            place=item.place,
            site_id=item.site_id,
        )
        if fix.speed_kmh > self.settings.stop_speed_kmh:
            raised: tuple[Detection, ...] = ()
            if state is not None and stop is not None and not stop.alerted:
                # What a tick at this fix's time would have found, had one come during the silence
                # (a backlog, a compressed clock): the outcome must not depend on when ticks happen.
                judged, raised = self._judge(fix.plate, state, fix.event_time)
                stop = judged.stop
            if stop is None or not stop.alerted:
                return new_state, raised
            cleared = self._detection(fix.plate, new_state, stop, fix.event_time, clears=True)
            return new_state, (*raised, cleared)
        if stop is None:
            stop = Stop(
                since=fix.event_time,
                lat=fix.lat,
                lon=fix.lon,
                event_id=fix.event_id,
                exempt=self._exempt(fix, refs),
                limit_minutes=self._limit_minutes(fix.permit_id, refs),
            )
        return self._judge(fix.plate, new_state.model_copy(update={"stop": stop}), fix.event_time)

    def _judge(self, plate: str, state: StopState, now: datetime) -> tuple[StopState, tuple[Detection, ...]]:
        stop = state.stop
        if (
            stop is None
            or stop.exempt
            or stop.alerted
            or now - stop.since <= timedelta(minutes=stop.limit_minutes)
        ):
            return state, ()
        alerted = state.model_copy(update={"stop": stop.model_copy(update={"alerted": True})})
        return alerted, (self._detection(plate, state, stop, now, clears=False),)

    def _detection(self, plate: str, state: StopState, stop: Stop, at: datetime, clears: bool) -> Detection:
        span = minutes(at - stop.since)
        where = f"{stop.lat:.5f},{stop.lon:.5f}"
        summary = (
            f"explosives vehicle {plate} moving again after standing {span} at {where}"
            if clears
            else f"explosives vehicle {plate} standing for {span} at {where}, away from depot and destination"
        )
        return Detection(
            rule=self.name,
            severity=Severity.HIGH,
            subject=plate,
            subject_kind=SubjectKind.PLATE,
            device_id=state.device_id,
            place=state.place,
            family=DeviceFamily.EXPLOSIVES,
            site_id=state.site_id,
            summary=summary,
            evidence_event_ids=tuple(dict.fromkeys((stop.event_id, state.last_event_id))),
            first_seen=stop.since,
            last_seen=max(state.last_fix, stop.since),
            clears=clears,
        )

    def tick(
        self, state: StopState, key: str, now: datetime, refs: References
    ) -> tuple[StopState | None, tuple[Detection, ...]]:
        if now - state.last_fix > self.settings.transport_forget_after:
            return None, ()
        return self._judge(key, state, now)

    def due(self, state: StopState) -> datetime | None:
        forget = state.last_fix + self.settings.transport_forget_after + timedelta(microseconds=1)
        stop = state.stop
        if stop is None or stop.exempt or stop.alerted:
            return forget
        return min(forget, stop.since + timedelta(minutes=stop.limit_minutes, microseconds=1))
