"""A cap on the share of invalid messages: stop loudly instead of dead-lettering everything.

After a bad deploy (a vendor's firmware that changed its payload, a schema the workers do not know yet, a
device registry that was never published) every message of a family fails and is dead-lettered: the
pipeline looks healthy while the command room receives nothing. The guard keeps, per device family, the
outcomes of the last ``window`` messages a worker's intake took, and trips when more than ``max_share`` of
them were dead-lettered, once the window holds at least ``min_messages`` (one bad message at start-up is
100 % of what was seen and must not stop anything).

Per family, not overall: a bad deploy breaks one vendor's or one contract's messages, and the families'
volumes differ by orders of magnitude; a broken low-volume family (school alarm buttons) would vanish in
an overall share dominated by vehicle checkpoints. Each family has its own intake agent, so each window
is also owned by one agent. The windows count messages, not time, so a quiet family is judged on as many
messages as a busy one. A worker judges the partitions it was assigned; every worker has its own windows.

Pure: no Faust, Kafka or metrics here; the intake agent feeds it and acts on a trip.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pipeline.contracts import DeviceFamily
from pipeline.contracts.dead_letter import DeadLetter
from pipeline.errors import RejectReason, WarmcityError
from pipeline.stages.intake import RawMessage

#: The setting an operator changes when the invalid share is expected (named in the trip's message).
CAP_SETTING = "WARMCITY_PIPELINE_MAX_INVALID_SHARE"
TOP_REASONS = 3

#: One message's outcome at intake: the reason it was dead-lettered, or None when it was accepted.
Outcome = RejectReason | None


@dataclass(frozen=True)
class InvalidShareCap:
    """``max_share`` in [0, 1] (1.0 disables: a share never exceeds 1); ``1 <= min_messages <= window``."""

    max_share: float = 0.5
    window: int = 1000
    min_messages: int = 100

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_share <= 1.0:
            raise ValueError(f"max_share must be within [0, 1], got {self.max_share}")
        if self.window < 1:
            raise ValueError(f"window must be at least 1 message, got {self.window}")
        if not 1 <= self.min_messages <= self.window:
            raise ValueError(
                f"min_messages must be within [1, window={self.window}], got {self.min_messages}"
            )


@dataclass(frozen=True)
class InvalidShareTrip:
    """What the guard saw when it tripped: enough for the operator to decide without reading code."""

    family: DeviceFamily
    invalid: int
    seen: int
    cap: InvalidShareCap
    top_reasons: tuple[tuple[RejectReason, int], ...]
    batch: int  # messages of the batch that tripped it, none of them acknowledged nor dead-lettered

    @property
    def share(self) -> float:
        return self.invalid / self.seen

    def describe(self) -> str:
        reasons = ", ".join(f"{reason.value} {count}" for reason, count in self.top_reasons)
        return (
            f"invalid share cap exceeded for family {self.family.value}: {self.share:.1%} of the last "
            f"{self.seen} messages were dead-lettered ({self.invalid}), above the cap of "
            f"{self.cap.max_share:.1%}; top dead-letter reasons: {reasons}. The worker stops: the batch of "
            f"{self.batch} messages that crossed the cap was neither acknowledged nor dead-lettered and is "
            f"read again on restart. Fix the producers (or the deploy) first; if this share is expected, "
            f"raise {CAP_SETTING} (1.0 disables the cap) and the messages are dead-lettered as usual."
        )


class InvalidShareExceeded(WarmcityError):
    """Raised (as the worker's crash reason) when a family's invalid share went over the cap."""

    def __init__(self, trip: InvalidShareTrip) -> None:
        super().__init__(trip.describe())
        self.trip = trip


@dataclass
class _Window:
    """The last ``size`` outcomes of one family, with running counts so that each message costs O(1)."""

    size: int
    outcomes: deque[Outcome] = field(init=False)
    reasons: Counter[RejectReason] = field(default_factory=Counter)
    invalid: int = 0

    def __post_init__(self) -> None:
        self.outcomes = deque(maxlen=self.size)

    def add(self, outcome: Outcome) -> None:
        if len(self.outcomes) == self.size:
            self._forget(self.outcomes[0])
        self.outcomes.append(outcome)
        if outcome is not None:
            self.invalid += 1
            self.reasons[outcome] += 1

    def _forget(self, outcome: Outcome) -> None:
        if outcome is not None:
            self.invalid -= 1
            self.reasons[outcome] -= 1
            if not self.reasons[outcome]:
                del self.reasons[outcome]

    @property
    def seen(self) -> int:
        return len(self.outcomes)

    @property
    def share(self) -> float:
        return self.invalid / self.seen if self.outcomes else 0.0

    def top_reasons(self) -> tuple[tuple[RejectReason, int], ...]:
        ranked = sorted(self.reasons.items(), key=lambda item: (-item[1], item[0].value))
        return tuple(ranked[:TOP_REASONS])


class InvalidShareGuard:
    """Sliding windows of intake outcomes per family; ``observe`` a batch, act on the trip it returns."""

    def __init__(self, cap: InvalidShareCap) -> None:
        self.cap = cap
        self._windows: dict[DeviceFamily, _Window] = {}

    def _window(self, family: DeviceFamily) -> _Window:
        window = self._windows.get(family)
        if window is None:
            window = self._windows[family] = _Window(self.cap.window)
        return window

    def observe(self, family: DeviceFamily, outcomes: Iterable[Outcome]) -> InvalidShareTrip | None:
        """Add one batch's outcomes, in message order; a trip when the family's share is now over the cap.

        Judged once per batch, after all of it: the caller acts on the batch as a whole (sends it, or
        withholds it)."""
        window = self._window(family)
        batch = 0
        for outcome in outcomes:
            window.add(outcome)
            batch += 1
        if window.seen < self.cap.min_messages or window.share <= self.cap.max_share:
            return None
        return InvalidShareTrip(family, window.invalid, window.seen, self.cap, window.top_reasons(), batch)

    def share(self, family: DeviceFamily) -> float:
        """The family's dead-lettered share over its window (0.0 before its first message)."""
        return self._window(family).share

    def seen(self, family: DeviceFamily) -> int:
        return self._window(family).seen


def batch_outcomes(
    messages: Sequence[RawMessage],
    dead_letters: Sequence[DeadLetter],
    accepted: Sequence[RawMessage] | None = None,
) -> list[Outcome]:
    """Each event's outcome, in message order: a dead letter's reason (matched by origin), or None.

    ``accepted``: the message of every accepted event; then a batch envelope counts each of its events
    (one bad event among sixty is a sixtieth, not the whole message). Without it, each message counts
    once: its dead letter's reason, or None."""
    if accepted is None:
        reasons = {(d.origin.topic, d.origin.partition, d.origin.offset): d.reason for d in dead_letters}
        return [reasons.get((m.topic, m.partition, m.offset)) for m in messages]
    letters: dict[tuple[str, int, int], list[Outcome]] = {}
    for letter in dead_letters:
        origin = letter.origin
        letters.setdefault((origin.topic, origin.partition, origin.offset), []).append(letter.reason)
    good = Counter((m.topic, m.partition, m.offset) for m in accepted)
    outcomes: list[Outcome] = []
    for message in messages:
        where = (message.topic, message.partition, message.offset)
        outcomes.extend(letters.pop(where, ()))
        outcomes.extend([None] * good.pop(where, 0))
    return outcomes
