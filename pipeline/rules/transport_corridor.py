"""``explosives.off_corridor``: a transport vehicle outside its permit's corridor, or without a valid permit.

Key and subject: the vehicle's plate. A GPS fix is a breach when its permit is unknown, names another
plate, is not valid at the fix's time, or the fix lies farther than ``corridor_m`` from the route
polyline. A breach opens an episode (critical) at its first fix; later breaching fixes join it silently
(the episode's evidence grows in state); the episode clears once a fix is valid and back within
``corridor_clear_ratio`` (0.8) of the corridor (hysteresis: GPS noise along the edge is one episode).
Fixes older than the newest one are late and ignored: the newest fix says where the vehicle is. State:
the newest fix time and the open episode; forgotten after ``transport_forget_after`` of silence. Must
not use the tracker's registered place: it is the depot, not the truck.
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
from pipeline.rules.base import Detection, SubjectKind, capped
from pipeline.rules.common import distance_to_route_m
from pipeline.rules.references import References
from pipeline.rules.settings import RuleSettings

RULE = "explosives.off_corridor"


class Breach(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    evidence: tuple[str, ...]


class CorridorState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    last_fix: AwareDatetime
    breach: Breach | None = None


def judge_fix(fix: TransportPosition, refs: References, clear_ratio: float) -> tuple[str | None, bool]:
    """(why the fix breaches its permit or None, whether it is well inside the corridor)."""
    permit = refs.permits.get(fix.permit_id)
    if permit is None:
        return f"permit {fix.permit_id} is unknown", False
    if permit.plate != fix.plate:
        return f"permit {fix.permit_id} is for {permit.plate}, not {fix.plate}", False
    if not permit.valid_at(fix.event_time):
        return (
            f"permit {fix.permit_id} is not valid now (valid {permit.valid_from:%Y-%m-%d %H:%M} to "
            f"{permit.valid_to:%Y-%m-%d %H:%M})"
        ), False
    off_m = distance_to_route_m(fix.lat, fix.lon, permit.route)
    if off_m > permit.corridor_m:
        return (
            f"{off_m:,.0f} m from the route of permit {permit.permit_id} (corridor {permit.corridor_m:g} m)",
            False,
        )
    return None, off_m <= permit.corridor_m * clear_ratio


@dataclass(frozen=True)
class OffCorridorRule:
    settings: RuleSettings = field(default_factory=RuleSettings)
    name: ClassVar[str] = RULE
    # The event types ``key`` can accept: the engine asks this rule about no other (see base.Rule).
    event_types: ClassVar[tuple[type[EventEnvelope], ...]] = (TransportPosition,)
    stateful: ClassVar[bool] = True
    state_model: ClassVar[type[CorridorState]] = CorridorState
    tick_every: ClassVar[timedelta | None] = timedelta(minutes=10)  # only to forget silent vehicles

    def key(self, item: EnrichedEvent) -> str | None:
        return item.event.plate if isinstance(item.event, TransportPosition) else None

    def apply(
        self, state: CorridorState | None, item: EnrichedEvent, refs: References
    ) -> tuple[CorridorState | None, tuple[Detection, ...]]:
        fix = item.event
        if not isinstance(fix, TransportPosition):
            return state, ()
        if state is not None and fix.event_time <= state.last_fix:
            return state, ()
        reason, well_inside = judge_fix(fix, refs, self.settings.corridor_clear_ratio)
        breach = state.breach if state is not None else None
        where = f"at {fix.lat:.5f},{fix.lon:.5f}, {fix.speed_kmh:.0f} km/h"
        if reason is not None and breach is None:
            breach = Breach(
                reason=reason, first_seen=fix.event_time, last_seen=fix.event_time, evidence=(fix.event_id,)
            )
            detection = self._detection(
                item, fix, breach, f"explosives vehicle {fix.plate} {where}: {reason}", False
            )
            return CorridorState(last_fix=fix.event_time, breach=breach), (detection,)
        if reason is not None and breach is not None:
            evidence = capped((*breach.evidence, fix.event_id), self.settings.max_evidence)
            grown = breach.model_copy(update={"last_seen": fix.event_time, "evidence": evidence})
            return CorridorState(last_fix=fix.event_time, breach=grown), ()
        if breach is not None and well_inside:
            summary = f"explosives vehicle {fix.plate} back within its corridor {where}"
            cleared = self._detection(item, fix, breach, summary, True)
            return CorridorState(last_fix=fix.event_time), (cleared,)
        return CorridorState(last_fix=fix.event_time, breach=breach), ()

    def _detection(
        self, item: EnrichedEvent, fix: TransportPosition, breach: Breach, summary: str, clears: bool
    ) -> Detection:
        return Detection.of_event(
            item,
            rule=self.name,
            severity=Severity.CRITICAL,
            subject=fix.plate,
            subject_kind=SubjectKind.PLATE,
            summary=summary,
            evidence=breach.evidence if not clears else (*breach.evidence[-1:], fix.event_id),
            first_seen=breach.first_seen,
            clears=clears,
        )

    def tick(
        self, state: CorridorState, key: str, now: datetime, refs: References
    ) -> tuple[CorridorState | None, tuple[Detection, ...]]:
        return (None if now - state.last_fix > self.settings.transport_forget_after else state), ()

    def due(self, state: CorridorState) -> datetime | None:
        return state.last_fix + self.settings.transport_forget_after + timedelta(microseconds=1)
