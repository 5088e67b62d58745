"""``crowd.density``: a crowd zone holds more people than its capacity, in event-time windows.

Key: the zone id of camera crowd counts. Each count is one camera's estimate of the whole zone, so a
window's level is the *median* of its counts (a sum would count the crowd once per camera, a mean would
follow one camera's glitch). Windows are
tumbling, ``crowd_window`` (60 s) long, aligned on the epoch. An episode opens (high) as soon as an open
window has ``crowd_min_samples`` counts and a level strictly above capacity, or when a window closes
with such a level; it escalates once (critical) when a level reaches ``crowd_critical_ratio`` of capacity; it
clears when a closed window's level is at or below ``crowd_clear_ratio`` of capacity (hysteresis: a zone
hovering at capacity is one episode, not a storm).

Late events, explicitly: a window stays open until the zone's watermark (its newest count) or ``now``
passes its end by ``crowd_lateness`` (120 s); a late count whose window is still open is counted in it;
a count whose window has closed is dropped and counted in ``late_dropped`` (the worker exports it as a
metric). State: the open windows (at most lateness/window + 2), the episode, and the watermark; one small
record per zone is kept for good, so a late count after a long silence is still judged against it. Must
not sum counts of different cameras, and must not fire on a count of a zone the reference data lacks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict

from pipeline.contracts.alert import Severity
from pipeline.contracts.camera import CrowdCount
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.sites import CrowdZone
from pipeline.rules.base import Detection
from pipeline.rules.crowd_episode import CrowdEpisode, CrowdWindow, episode_detection
from pipeline.rules.references import References
from pipeline.rules.settings import RuleSettings

RULE = "crowd.density"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class CrowdState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    windows: tuple[CrowdWindow, ...] = ()  # open windows, oldest first
    closed_before: AwareDatetime | None = None  # windows starting before this are final
    watermark: AwareDatetime | None = None  # newest count's event time
    episode: CrowdEpisode | None = None
    late_dropped: int = 0


@dataclass(frozen=True)
class CrowdDensityRule:
    settings: RuleSettings = field(default_factory=RuleSettings)
    name: ClassVar[str] = RULE
    # The event types ``key`` can accept: the engine asks this rule about no other (see base.Rule).
    event_types: ClassVar[tuple[type[EventEnvelope], ...]] = (CrowdCount,)
    stateful: ClassVar[bool] = True
    state_model: ClassVar[type[CrowdState]] = CrowdState
    tick_every: ClassVar[timedelta | None] = timedelta(seconds=10)  # closes windows of silent zones

    def key(self, item: EnrichedEvent) -> str | None:
        return item.event.zone_id if isinstance(item.event, CrowdCount) else None

    def _start_of(self, when: datetime) -> datetime:
        return when - (when - _EPOCH) % self.settings.crowd_window

    def _is_closed(self, start: datetime, state: CrowdState, now: datetime | None) -> bool:
        end = start + self.settings.crowd_window + self.settings.crowd_lateness
        clocks = [c for c in (state.watermark, now) if c is not None]
        return (state.closed_before is not None and start < state.closed_before) or any(
            end <= clock for clock in clocks
        )

    def apply(
        self, state: CrowdState | None, item: EnrichedEvent, refs: References
    ) -> tuple[CrowdState | None, tuple[Detection, ...]]:
        count = item.event
        if not isinstance(count, CrowdCount):
            return state, ()
        zone = refs.crowd_zones.get(count.zone_id)
        if zone is None:
            return state, ()
        state = state or CrowdState()
        start = self._start_of(count.event_time)
        if self._is_closed(start, state, None):
            return state.model_copy(update={"late_dropped": state.late_dropped + 1}), ()
        window = next((w for w in state.windows if w.start == start), CrowdWindow(start=start))
        window = window.add(count, zone.capacity, item.place, self.settings.max_evidence)
        windows = tuple(
            sorted((*(w for w in state.windows if w.start != start), window), key=lambda w: w.start)
        )
        watermark = max(state.watermark or count.event_time, count.event_time)
        state = state.model_copy(update={"windows": windows, "watermark": watermark})
        detections: list[Detection] = []
        state = self._judge(state, window, zone, detections, closing=False)
        state = self._close(state, zone, None, detections)
        return state, tuple(detections)

    def _judge(
        self,
        state: CrowdState,
        window: CrowdWindow,
        zone: CrowdZone,
        out: list[Detection],
        closing: bool,
    ) -> CrowdState:
        """Open, grow, escalate or clear the episode on what ``window`` says now."""
        s, episode = self.settings, state.episode
        # An open window speaks early only once it has a few counts: one camera's glitch is not a crowd.
        ready = closing or window.samples >= s.crowd_min_samples
        if episode is None:
            if ready and window.level > zone.capacity:
                episode = CrowdEpisode.open(window, zone, s.max_evidence)
                out.append(episode_detection(self.name, zone, episode, window, clears=False))
            return state.model_copy(update={"episode": episode})
        calm = window.level <= zone.capacity * s.crowd_clear_ratio
        if closing and calm and window.start >= episode.window_start:
            out.append(episode_detection(self.name, zone, episode, window, clears=True))
            return state.model_copy(update={"episode": None})
        grown = episode.grow(window, s.max_evidence)
        if (
            ready
            and grown.severity is Severity.HIGH
            and window.level >= zone.capacity * s.crowd_critical_ratio
        ):
            grown = grown.model_copy(update={"severity": Severity.CRITICAL})
            out.append(episode_detection(self.name, zone, grown, window, clears=False))
        return state.model_copy(update={"episode": grown})

    def _close(
        self, state: CrowdState, zone: CrowdZone, now: datetime | None, out: list[Detection]
    ) -> CrowdState:
        """Close, in time order, every window whose lateness has passed by the watermark or ``now``."""
        for window in state.windows:
            if not self._is_closed(window.start, state, now):
                break
            state = self._judge(state, window, zone, out, closing=True)
            state = state.model_copy(
                update={
                    "windows": tuple(w for w in state.windows if w.start != window.start),
                    "closed_before": window.start + self.settings.crowd_window,
                }
            )
        return state

    def tick(
        self, state: CrowdState, key: str, now: datetime, refs: References
    ) -> tuple[CrowdState | None, tuple[Detection, ...]]:
        zone = refs.crowd_zones.get(key)
        if zone is None or not state.windows:
            return state, ()
        detections: list[Detection] = []
        state = self._close(state, zone, now, detections)
        return state, tuple(detections)

    def due(self, state: CrowdState) -> datetime | None:
        if not state.windows:
            return None
        return state.windows[0].start + self.settings.crowd_window + self.settings.crowd_lateness
