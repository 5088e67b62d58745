"""``watchlist.plate``: a watched plate read at a checkpoint or a community barrier, with ring control.

Key: the folded plate (``plates.fold_plate``), so reads that differ by confusable characters share one
trajectory; ``plate.cloned`` uses the same key, so one repartition of plate reads serves both. State: the
watched plate's recent sightings (the trajectory), only for plates that matched. Severity follows the
entry's priority (1 critical .. 4 low), one step up when the device closes a checkpoint ring (that is
where the vehicle can be stopped), one step down for a look-alike read (an operator must check the
picture). One detection per read: each read is news for the units at the next ring. Must not keep
reads of unwatched plates: the table would hold the whole city's traffic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from pipeline.contracts.community import VehicleAccess
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.plate_read import PlateRead
from pipeline.rules.base import Detection, Sighting, SubjectKind
from pipeline.rules.common import raised, severity_for_priority
from pipeline.rules.plates import fold_plate, match_plate
from pipeline.rules.references import References
from pipeline.rules.settings import WATCHLIST_PLATE, RuleSettings

LOOKALIKE_CONFIDENCE = 0.6  # share of the read's confidence left when the text differs from the entry
BARRIER_CONFIDENCE = 0.9  # community barriers do not report one; their cameras are close and slow
SUMMARY_HOPS = 6


class PlateTrajectory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sightings: tuple[Sighting, ...] = ()  # time order


def _plate(enriched: EnrichedEvent) -> str | None:
    event = enriched.event
    return event.plate if isinstance(event, PlateRead | VehicleAccess) else None


def _hops(trail: tuple[Sighting, ...]) -> str:
    hops = [f"{s.device_id}{f' ({s.ring} ring)' if s.ring else ''} {s.at:%H:%M}" for s in trail]
    if len(hops) > SUMMARY_HOPS:
        hops = ["…", *hops[-SUMMARY_HOPS:]]
    return " → ".join(hops)


@dataclass(frozen=True)
class PlateWatchRule:
    settings: RuleSettings = field(default_factory=RuleSettings)
    name: ClassVar[str] = WATCHLIST_PLATE
    # The event types ``key`` can accept: the engine asks this rule about no other (see base.Rule).
    event_types: ClassVar[tuple[type[EventEnvelope], ...]] = (PlateRead, VehicleAccess)
    stateful: ClassVar[bool] = True
    state_model: ClassVar[type[PlateTrajectory]] = PlateTrajectory
    tick_every: ClassVar[timedelta | None] = timedelta(minutes=10)  # only to forget old trajectories

    def key(self, item: EnrichedEvent) -> str | None:
        plate = _plate(item)
        return None if plate is None else fold_plate(plate)

    def wants(self, item: EnrichedEvent, refs: References) -> bool:
        """Only reads that match the watch list (``apply`` leaves the state alone for the others): the
        worker sends no detect message for the city's other reads. An entry added between the read's
        intake and its detect step is seen from the next read on."""
        plate = _plate(item)
        return (
            plate is not None and match_plate(refs.plate_watchlist, plate, item.event.event_time) is not None
        )

    def apply(
        self, state: PlateTrajectory | None, item: EnrichedEvent, refs: References
    ) -> tuple[PlateTrajectory | None, tuple[Detection, ...]]:
        plate = _plate(item)
        if plate is None:
            return state, ()
        event = item.event
        match = match_plate(refs.plate_watchlist, plate, event.event_time)
        if match is None:
            return state, ()
        entry = match.entry
        seen = Sighting(
            event_id=event.event_id,
            device_id=event.device_id,
            ring=item.ring,
            at=event.event_time,
            lat=item.place.lat,
            lon=item.place.lon,
            plate=plate,
        )
        horizon = event.event_time - self.settings.trajectory_window
        earlier = [s for s in (state.sightings if state else ()) if s.event_id != seen.event_id]
        trail = tuple(sorted([*earlier, seen], key=lambda s: s.at))
        trail = tuple(s for s in trail if s.at >= horizon)[-self.settings.trajectory_max :]
        severity = severity_for_priority(entry.priority)
        if item.ring is not None:
            severity = raised(severity)
        if not match.exact:
            severity = raised(severity, -1)
        read_confidence = event.confidence if isinstance(event, PlateRead) else BARRIER_CONFIDENCE
        confidence = read_confidence * (1.0 if match.exact else LOOKALIKE_CONFIDENCE)
        read_as = "" if match.exact else f" read as {plate} (look-alike: check the picture)"
        where = f"{event.device_id}" + (f" on the {item.ring} ring" if item.ring else "")
        summary = (
            f"watched plate {entry.plate}{read_as} ({entry.category}, priority {entry.priority}: "
            f"{entry.reason}) at {where}; trajectory: {_hops(trail)}"
        )
        detection = Detection.of_event(
            item,
            rule=self.name,
            severity=severity,
            subject=entry.plate,
            subject_kind=SubjectKind.PLATE,
            summary=summary,
            confidence=round(confidence, 3),
            trajectory=trail,
        )
        return PlateTrajectory(sightings=trail), (detection,)

    def tick(
        self, state: PlateTrajectory, key: str, now: datetime, refs: References
    ) -> tuple[PlateTrajectory | None, tuple[Detection, ...]]:
        horizon = now - self.settings.trajectory_window
        kept = tuple(s for s in state.sightings if s.at >= horizon)
        return (PlateTrajectory(sightings=kept) if kept else None), ()

    def due(self, state: PlateTrajectory) -> datetime | None:
        if not state.sightings:
            return None
        return state.sightings[0].at + self.settings.trajectory_window
