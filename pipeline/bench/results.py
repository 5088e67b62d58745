"""What a phase measured and the arithmetic on it: drain rate, sustained rate, the phase's JSON.

Every phase records ``Sample``s of how many events it had finished (decoded, or stored in ClickHouse /
dead-lettered) against seconds since the phase started. From those:

- the **drain rate**: every event divided by the time from the last sample with nothing finished to the
  first sample with everything finished. Start-up (joining the group, loading the registry, Faust's boot)
  is outside it, the first batch is inside it, so phases that start differently compare fairly;
- the **sustained rate**: events finished per second over a window that begins ``warmup_s`` after the
  first output, read off the samples by linear interpolation. When the drain ends before the window does,
  the window is cut short and marked incomplete.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

WINDOW_SLACK_S = 0.5  # a window this much shorter than asked still counts as complete (sampling grain)


@dataclass(frozen=True)
class Sample:
    t_s: float  # seconds since the phase started
    count: int  # events finished by then


@dataclass(frozen=True)
class Drain:
    """From ``start_s`` (the last sample before any output) to ``end_s`` (all done, or the last sample)."""

    start_s: float
    end_s: float
    count: int
    complete: bool

    @property
    def elapsed_s(self) -> float:
        return max(0.0, self.end_s - self.start_s)

    @property
    def events_per_s(self) -> float:
        return self.count / self.elapsed_s if self.elapsed_s > 0 else 0.0


def drain(samples: Sequence[Sample], total: int) -> Drain:
    """The drain of ``total`` events over ``samples`` (in time order)."""
    if not samples:
        return Drain(0.0, 0.0, 0, complete=total == 0)
    start = samples[0]
    for sample in samples:
        if sample.count > 0:
            break
        start = sample
    end = next((s for s in samples if s.count >= total), samples[-1])
    return Drain(start.t_s, max(end.t_s, start.t_s), end.count - start.count, complete=end.count >= total)


def count_at(samples: Sequence[Sample], t_s: float) -> float:
    """Events finished at ``t_s``, interpolated between the samples around it (clamped at the ends)."""
    if not samples:
        return 0.0
    if t_s <= samples[0].t_s:
        return float(samples[0].count)
    for before, after in pairwise(samples):
        if before.t_s <= t_s <= after.t_s:
            span = after.t_s - before.t_s
            share = (t_s - before.t_s) / span if span > 0 else 1.0
            return before.count + share * (after.count - before.count)
    return float(samples[-1].count)


@dataclass(frozen=True)
class Sustained:
    warmup_s: float
    window_s: float  # as measured (shorter than asked when the drain ended first)
    asked_s: float
    events_per_s: float

    @property
    def complete(self) -> bool:
        return self.window_s >= self.asked_s - WINDOW_SLACK_S

    def as_dict(self) -> dict[str, Any]:
        return {
            "warmup_s": round(self.warmup_s, 3),
            "window_s": round(self.window_s, 3),
            "asked_s": self.asked_s,
            "events_per_s": round(self.events_per_s, 1),
            "complete": self.complete,
        }


def sustained(samples: Sequence[Sample], total: int, warmup_s: float, window_s: float) -> Sustained:
    """Events/s over ``window_s`` starting ``warmup_s`` after the drain began (cut at the drain's end)."""
    whole = drain(samples, total)
    begin = whole.start_s + warmup_s
    end = min(begin + window_s, whole.end_s)
    if end <= begin:
        return Sustained(warmup_s, 0.0, window_s, 0.0)
    rate = (count_at(samples, end) - count_at(samples, begin)) / (end - begin)
    return Sustained(warmup_s, end - begin, window_s, rate)


@dataclass(frozen=True)
class PhaseResult:
    """One phase of a run: what it was offered, what came out, and how fast."""

    phase: str
    events: int  # in the raw topics
    processed: int  # came out: decoded (a), or stored in ClickHouse once + dead-lettered
    drain: Drain
    wall_s: float  # the whole phase, start-up and shutdown included
    sustained: Sustained | None = None
    outputs: dict[str, int] = field(default_factory=dict)  # rows per table, dead letters, alerts, ...
    peak_rss_mb: float | None = None  # of the phase's worker processes, summed
    samples: tuple[Sample, ...] = ()
    error: str | None = None
    notes: tuple[str, ...] = ()
    measures: dict[str, Any] = field(default_factory=dict)  # a phase's own figures: latency (d), memory (e)

    @property
    def complete(self) -> bool:
        return self.error is None and self.processed >= self.events

    @property
    def events_per_s(self) -> float:
        return self.drain.events_per_s

    def as_dict(self, every_s: float = 1.0) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "events": self.events,
            "processed": self.processed,
            "complete": self.complete,
            "events_per_s": round(self.events_per_s, 1),
            "drain_s": round(self.drain.elapsed_s, 3),
            # From the phase's start (processes started, registry not yet loaded) to the last output.
            "events_per_s_from_start": round(self.drain.count / self.drain.end_s, 1)
            if self.drain.end_s
            else 0.0,
            "wall_s": round(self.wall_s, 3),
            "sustained": self.sustained.as_dict() if self.sustained is not None else None,
            "outputs": dict(self.outputs),
            "peak_rss_mb": round(self.peak_rss_mb, 1) if self.peak_rss_mb is not None else None,
            "samples": [[round(s.t_s, 3), s.count] for s in thin(self.samples, every_s)],
            "error": self.error,
            "notes": list(self.notes),
            **({"measures": dict(self.measures)} if self.measures else {}),
        }


def thin(samples: Sequence[Sample], every_s: float) -> list[Sample]:
    """At most one sample per ``every_s`` (the first of each), always keeping the first and the last."""
    kept: list[Sample] = []
    for sample in samples:
        if not kept or sample.t_s - kept[-1].t_s >= every_s:
            kept.append(sample)
    if samples and kept[-1] is not samples[-1]:
        kept.append(samples[-1])
    return kept
