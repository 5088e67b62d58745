"""Counting attempts in a sliding event-time window: 'N denials within W', fired once per burst.

Shared by ``id_gate.repeated_denials`` and ``access.repeated_denials``. A burst fires when some window of
length W (both ends inclusive) that contains the new attempt holds at least N attempts; until attempts
stop for W it stays one burst and fires no more, so one attack is one detection. Attempts arriving late
are placed by their event time, not by arrival. Replays (same event id) are not counted twice. This
module must not know what an attempt is (a card, a face, a gate): ``BurstRule`` leaves that, the key,
the window and the detection's words to each rule.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime, timedelta
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict

from pipeline.contracts.alert import Severity
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.rules.base import Detection, SubjectKind
from pipeline.rules.references import References

KEEP_FACTOR = 2  # attempts are kept for two windows behind the newest, for late arrivals
MAX_ATTEMPTS = 32


class Attempt(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str
    at: AwareDatetime


class BurstState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    attempts: tuple[Attempt, ...] = ()  # time order, at most MAX_ATTEMPTS
    burst_until: AwareDatetime | None = None  # attempts up to here belong to the burst that fired


def record_attempt(
    state: BurstState | None, attempt: Attempt, threshold: int, window: timedelta
) -> tuple[BurstState, tuple[Attempt, ...]]:
    """The new state, and the attempts of the window that made a new burst fire (empty: no new burst)."""
    state = state or BurstState()
    if any(a.event_id == attempt.event_id for a in state.attempts):
        return state, ()
    ordered = sorted((*state.attempts, attempt), key=lambda a: a.at)
    horizon = ordered[-1].at - KEEP_FACTOR * window
    kept = tuple(a for a in ordered if a.at >= horizon)[-MAX_ATTEMPTS:]
    if state.burst_until is not None and attempt.at <= state.burst_until:
        until = max(state.burst_until, attempt.at + window)
        return BurstState(attempts=kept, burst_until=until), ()
    best: tuple[Attempt, ...] = ()
    for start in kept:
        if attempt.at - window <= start.at <= attempt.at:
            group = tuple(a for a in kept if start.at <= a.at <= start.at + window)
            best = group if len(group) > len(best) else best
    if len(best) < threshold:
        return BurstState(attempts=kept, burst_until=state.burst_until), ()
    return BurstState(attempts=kept, burst_until=best[-1].at + window), best


def forget_before(state: BurstState, now: datetime, window: timedelta) -> BurstState | None:
    """None once nothing of the state can matter any more at ``now``."""
    newest = state.attempts[-1].at if state.attempts else None
    burst_over = state.burst_until is None or state.burst_until < now
    if burst_over and (newest is None or newest < now - KEEP_FACTOR * window):
        return None
    return state


def forget_due(state: BurstState, window: timedelta) -> datetime | None:
    times = [a.at + KEEP_FACTOR * window for a in state.attempts[-1:]]
    times += [state.burst_until] if state.burst_until is not None else []
    return max(times) if times else None


class BurstRule(ABC):
    """A rule that fires (medium) once per burst of attempts of one key: ``key`` is None for anything
    that is not an attempt; the subclass gives the threshold, the window and the detection's words."""

    name: ClassVar[str]
    stateful: ClassVar[bool] = True
    state_model: ClassVar[type[BurstState]] = BurstState
    tick_every: ClassVar[timedelta | None] = timedelta(minutes=5)  # only to forget quiet keys

    @abstractmethod
    def key(self, item: EnrichedEvent) -> str | None: ...

    @property
    @abstractmethod
    def threshold(self) -> int: ...

    @property
    @abstractmethod
    def window(self) -> timedelta: ...

    @abstractmethod
    def describe(self, item: EnrichedEvent, burst: tuple[Attempt, ...]) -> tuple[str, SubjectKind, str]:
        """Subject, subject kind and summary of the detection of ``burst`` (``item`` is its latest)."""

    def apply(
        self, state: BurstState | None, item: EnrichedEvent, refs: References
    ) -> tuple[BurstState | None, tuple[Detection, ...]]:
        if self.key(item) is None:
            return state, ()
        event = item.event
        attempt = Attempt(event_id=event.event_id, at=event.event_time)
        new_state, burst = record_attempt(state, attempt, self.threshold, self.window)
        if not burst:
            return new_state, ()
        subject, subject_kind, summary = self.describe(item, burst)
        detection = Detection.of_event(
            item,
            rule=self.name,
            severity=Severity.MEDIUM,
            subject=subject,
            subject_kind=subject_kind,
            summary=summary,
            evidence=[a.event_id for a in burst],
            first_seen=burst[0].at,
        )
        return new_state, (detection.model_copy(update={"last_seen": burst[-1].at}),)

    def tick(
        self, state: BurstState, key: str, now: datetime, refs: References
    ) -> tuple[BurstState | None, tuple[Detection, ...]]:
        return forget_before(state, now, self.window), ()

    def due(self, state: BurstState) -> datetime | None:
        return forget_due(state, self.window)
