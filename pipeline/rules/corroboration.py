"""``corroboration.incident``: hits on one subject by independent sensors at one site make one incident.

A rule on *detections*, not on events: the worker feeds it every detection of ``corroboration_rules``
(watch-list hits on plates and people), repartitioned by subject. Key: the subject. State: the
subject's recent hits (within ``corroboration_window``, 10 min; at most ``MAX_HITS``) and the open
incident. An incident opens when hits from at least two *device families* (an ID gate and a face camera;
a checkpoint and a community barrier) lie within the window and at one place: the same site id, or
within ``corroboration_radius_m`` of each other. Two cameras of one kind are one modality seeing the
subject twice; the alert book already merges those. The incident's confidence is the probability that
not all of them are wrong, 1 - prod(1 - c) over the best hit of each family; its severity is the most
severe hit's, one step up (critical stays critical). A later hit of a family the incident lacks emits
an updated incident (confidence rises); other hits join silently. Must not consume its own detections
or clearing detections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict

from pipeline.contracts.reference import DeviceFamily
from pipeline.rules.base import Detection, capped
from pipeline.rules.common import haversine_m, most_severe, raised
from pipeline.rules.references import References
from pipeline.rules.settings import RuleSettings

RULE = "corroboration.incident"
MAX_HITS = 16


class CorroborationState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hits: tuple[Detection, ...] = ()  # time order (by last_seen)
    incident_families: tuple[DeviceFamily, ...] = ()  # families of the open incident; empty: none open
    incident_until: AwareDatetime | None = None  # the open incident takes hits up to here


@dataclass(frozen=True)
class CorroborationRule:
    settings: RuleSettings = field(default_factory=RuleSettings)
    name: ClassVar[str] = RULE
    stateful: ClassVar[bool] = True
    state_model: ClassVar[type[CorroborationState]] = CorroborationState
    tick_every: ClassVar[timedelta | None] = timedelta(minutes=5)  # only to forget old hits

    def key(self, item: Detection) -> str | None:
        wanted = item.rule in self.settings.corroboration_rules and item.rule != self.name
        return item.subject if wanted and not item.clears and item.family is not None else None

    def _together(self, a: Detection, b: Detection) -> bool:
        if a.site_id is not None and a.site_id == b.site_id:
            return True
        if a.place is None or b.place is None:
            return False
        distance = haversine_m(a.place.lat, a.place.lon, b.place.lat, b.place.lon)
        return distance <= self.settings.corroboration_radius_m

    def apply(
        self, state: CorroborationState | None, item: Detection, refs: References
    ) -> tuple[CorroborationState | None, tuple[Detection, ...]]:
        if self.key(item) is None:
            return state, ()
        state = state or CorroborationState()
        window = self.settings.corroboration_window
        hits = sorted((*state.hits, item), key=lambda h: h.last_seen)
        hits = [h for h in hits if h.last_seen >= hits[-1].last_seen - window][-MAX_HITS:]
        group = [h for h in hits if abs(h.last_seen - item.last_seen) <= window and self._together(h, item)]
        families = tuple(sorted({h.family for h in group if h.family is not None}))
        is_open = state.incident_until is not None and item.last_seen <= state.incident_until
        known = state.incident_families if is_open else ()
        if len(families) < 2:
            kept = state.model_copy(update={"hits": tuple(hits)})
            return (kept if is_open else CorroborationState(hits=tuple(hits))), ()
        until = max(item.last_seen + window, state.incident_until or item.last_seen)
        merged = tuple(sorted({*known, *families}))
        new_state = CorroborationState(hits=tuple(hits), incident_families=merged, incident_until=until)
        if set(families) <= set(known):
            return new_state, ()  # the open incident has these sensors already: joins silently
        return new_state, (self._incident(item, group, families),)

    def _incident(
        self, item: Detection, group: list[Detection], families: tuple[DeviceFamily, ...]
    ) -> Detection:
        best = {f: max((h.confidence for h in group if h.family is f), default=0.0) for f in families}
        doubt = 1.0
        for confidence in best.values():
            doubt *= 1.0 - confidence
        rules = ", ".join(sorted({h.rule for h in group}))
        sensors = " + ".join(f.value for f in families)
        span = int(self.settings.corroboration_window.total_seconds() // 60)
        return Detection(
            rule=self.name,
            severity=raised(most_severe([h.severity for h in group])),
            subject=item.subject,
            subject_kind=item.subject_kind,
            device_id=item.device_id,
            place=item.place,
            family=None,
            site_id=item.site_id,
            summary=(
                f"{item.subject} seen by {sensors} within {span} min ({rules}); confidence {1.0 - doubt:.3f}"
            ),
            evidence_event_ids=capped(
                [e for h in group for e in h.evidence_event_ids], self.settings.max_evidence
            ),
            first_seen=min(h.first_seen for h in group),
            last_seen=max(h.last_seen for h in group),
            confidence=round(1.0 - doubt, 4),
        )

    def tick(
        self, state: CorroborationState, key: str, now: datetime, refs: References
    ) -> tuple[CorroborationState | None, tuple[Detection, ...]]:
        horizon = now - self.settings.corroboration_window
        hits = tuple(h for h in state.hits if h.last_seen >= horizon)
        if state.incident_until is not None and state.incident_until < now:
            state = state.model_copy(update={"incident_families": (), "incident_until": None})
        if not hits and state.incident_until is None:
            return None, ()
        return state.model_copy(update={"hits": hits}), ()

    def due(self, state: CorroborationState) -> datetime | None:
        times = [h.last_seen + self.settings.corroboration_window for h in state.hits[:1]]
        times += [state.incident_until] if state.incident_until is not None else []
        return min(times) if times else None
