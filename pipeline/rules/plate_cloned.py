"""``plate.cloned``: one plate at two checkpoints whose distance and times imply an impossible speed.

Key: the folded plate (shared with ``watchlist.plate``); only reads with the *same* plate text are
compared, so two real plates that merely look alike never make a clone. State: the plate's recent reads
(at most ``plate_history_max`` within ``plate_history``) and when it last fired. Distance is the
great-circle distance between the devices' places, a lower bound of the road distance, so the speed is
never overstated. Fires (high) when the pair is farther apart than ``clone_min_distance_km`` and the
speed is strictly above ``clone_speed_kmh``; once per plate per ``plate_history`` (one cloned pair keeps
alternating; one alert is enough). Must not compare reads of one device with each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict

from pipeline.contracts.alert import Severity
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.plate_read import PlateRead
from pipeline.rules.base import Detection, Sighting, SubjectKind
from pipeline.rules.common import haversine_m, minutes
from pipeline.rules.plates import fold_plate
from pipeline.rules.references import References
from pipeline.rules.settings import RuleSettings

RULE = "plate.cloned"


class PlateReads(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sightings: tuple[Sighting, ...] = ()  # time order; ``plate`` holds the text as read
    fired_at: AwareDatetime | None = None  # event time of the latest read that fired


@dataclass(frozen=True)
class ClonedPlateRule:
    settings: RuleSettings = field(default_factory=RuleSettings)
    name: ClassVar[str] = RULE
    # The event types ``key`` can accept: the engine asks this rule about no other (see base.Rule).
    event_types: ClassVar[tuple[type[EventEnvelope], ...]] = (PlateRead,)
    stateful: ClassVar[bool] = True
    state_model: ClassVar[type[PlateReads]] = PlateReads
    tick_every: ClassVar[timedelta | None] = timedelta(minutes=10)  # only to forget old reads

    def key(self, item: EnrichedEvent) -> str | None:
        return fold_plate(item.event.plate) if isinstance(item.event, PlateRead) else None

    def _speed_kmh(self, a: Sighting, b: Sighting) -> tuple[float, float]:
        """(km, km/h) between two reads; an instant jump between distinct places is infinitely fast."""
        km = haversine_m(a.lat, a.lon, b.lat, b.lon) / 1000.0
        hours = abs((b.at - a.at).total_seconds()) / 3600.0
        return km, (km / hours if hours > 0 else float("inf"))

    def apply(
        self, state: PlateReads | None, item: EnrichedEvent, refs: References
    ) -> tuple[PlateReads | None, tuple[Detection, ...]]:
        read = item.event
        if not isinstance(read, PlateRead):
            return state, ()
        state = state or PlateReads()
        seen = Sighting(
            event_id=read.event_id,
            device_id=read.device_id,
            ring=item.ring,
            at=read.event_time,
            lat=item.place.lat,
            lon=item.place.lon,
            plate=read.plate,
        )
        if any(s.event_id == seen.event_id for s in state.sightings):
            return state, ()  # a replay: judged already
        worst: tuple[float, float, Sighting] | None = None
        for other in state.sightings:
            if other.plate != seen.plate or other.device_id == seen.device_id:
                continue
            km, kmh = self._speed_kmh(other, seen)
            if km > self.settings.clone_min_distance_km and kmh > self.settings.clone_speed_kmh:
                worst = (km, kmh, other) if worst is None or kmh > worst[1] else worst
        ordered = sorted((*state.sightings, seen), key=lambda s: s.at)
        horizon = ordered[-1].at - self.settings.plate_history
        kept = tuple(s for s in ordered if s.at >= horizon)[-self.settings.plate_history_max :]
        recently = state.fired_at is not None and (
            abs(read.event_time - state.fired_at) < self.settings.plate_history
        )
        if worst is None or recently:
            return PlateReads(sightings=kept, fired_at=state.fired_at), ()
        km, kmh, other = worst
        first, last = sorted((other, seen), key=lambda s: s.at)
        speed = "at the same instant" if kmh == float("inf") else f"{kmh:.0f} km/h"
        summary = (
            f"plate {read.plate} at {first.device_id} {first.at:%H:%M:%S} and {last.device_id} "
            f"{last.at:%H:%M:%S}: {km:.1f} km in {minutes(last.at - first.at)} ({speed}); cloned plate?"
        )
        detection = Detection.of_event(
            item,
            rule=self.name,
            severity=Severity.HIGH,
            subject=read.plate,
            subject_kind=SubjectKind.PLATE,
            summary=summary,
            evidence=(first.event_id, last.event_id),
            first_seen=first.at,
            trajectory=(first, last),
        )
        detection = detection.model_copy(update={"last_seen": last.at})
        return PlateReads(sightings=kept, fired_at=read.event_time), (detection,)

    def tick(
        self, state: PlateReads, key: str, now: datetime, refs: References
    ) -> tuple[PlateReads | None, tuple[Detection, ...]]:
        horizon = now - self.settings.plate_history
        kept = tuple(s for s in state.sightings if s.at >= horizon)
        fired = state.fired_at if state.fired_at is not None and state.fired_at >= horizon else None
        if not kept and fired is None:
            return None, ()
        return PlateReads(sightings=kept, fired_at=fired), ()

    def due(self, state: PlateReads) -> datetime | None:
        times = [s.at for s in state.sightings[:1]] + ([state.fired_at] if state.fired_at else [])
        return min(times) + self.settings.plate_history if times else None
