"""The phases a benchmark run can measure: names, what each one is, and parsing ``--phases``.

A phase that is not listed here cannot be asked for; adding one is a new entry here, a runner for it, and
a line in ``runner.PHASE_RUNNERS``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PhaseSpec:
    name: str  # as written in --phases and in the JSON
    label: str  # as the issue names it: (a), (a'), ...
    title: str  # one line for the table
    workers: int = 0  # worker processes the phase runs (0: runs in the harness process)


PHASES: dict[str, PhaseSpec] = {
    spec.name: spec
    for spec in (
        PhaseSpec("a", "(a)", "ceiling: confluent-kafka read + orjson decode"),
        PhaseSpec("a2", "(a')", "hand-written confluent-kafka loop, our stages, insert, commit"),
        PhaseSpec("b", "(b)", "naive Faust agent, one event at a time", workers=1),
        PhaseSpec("c", "(c)", "warmcity worker end to end, 1 process", workers=1),
        PhaseSpec("d", "(d)", "latency to the alert at an offered load, 1 worker", workers=1),
        PhaseSpec("e", "(e)", "worker memory with a large watch list, 1 worker", workers=1),
        PhaseSpec("f", "(f)", "warmcity workers end to end, 2 processes", workers=2),
    )
}
DEFAULT_PHASES = ("a", "a2", "b", "c")


class PhaseError(ValueError):
    """--phases names a phase that does not exist."""


def parse_phases(text: str) -> tuple[str, ...]:
    """``"c,a, a2"`` -> ``("a", "a2", "c")``: known names, each once, in the order of ``PHASES``."""
    asked = {part.strip().lower() for part in text.split(",") if part.strip()}
    if not asked:
        raise PhaseError("no phase given; known: " + ", ".join(PHASES))
    unknown = sorted(asked - set(PHASES))
    if unknown:
        raise PhaseError(f"unknown phase(s) {', '.join(unknown)}; known: {', '.join(PHASES)}")
    return tuple(name for name in PHASES if name in asked)
