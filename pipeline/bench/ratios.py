"""The ratios the issue asks for, between the events/s of two phases, with the targets to meet."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# (numerator, denominator, target or None): issue 6 asks for (c) >= 0.6 x (a') and >= 5 x (b).
RATIOS: tuple[tuple[str, str, float | None], ...] = (
    ("c", "a", None),
    ("c", "a2", 0.6),
    ("c", "b", 5.0),
    ("f", "c", None),
)


@dataclass(frozen=True)
class Ratio:
    numerator: str
    denominator: str
    value: float | None  # None when a phase is missing, incomplete, or measured nothing
    target: float | None = None

    @property
    def name(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    @property
    def met(self) -> bool | None:
        if self.target is None or self.value is None:
            return None
        return self.value >= self.target

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": round(self.value, 4) if self.value is not None else None,
            "target": self.target,
            "met": self.met,
        }


def ratios(rates: Mapping[str, float | None]) -> list[Ratio]:
    """Every ratio of ``RATIOS`` whose two phases were run; ``rates`` maps phase -> events/s (None when
    the phase did not finish every event, so that no ratio is computed from a partial run)."""
    found = []
    for numerator, denominator, target in RATIOS:
        if numerator not in rates or denominator not in rates:
            continue
        top, bottom = rates[numerator], rates[denominator]
        value = top / bottom if top is not None and bottom else None
        found.append(Ratio(numerator, denominator, value, target))
    return found


# (phase, measure in the phase's ``measures``, upper limit, unit): issue 6 asks for p99 <= 250 ms at
# 5,000 events/s (d) and RSS <= 600 MB with the city registry and 1,000,000 watch-list entries (e).
LIMITS: tuple[tuple[str, str, float, str], ...] = (
    ("d", "p99_ms", 250.0, "ms"),
    ("e", "peak_rss_mb", 600.0, "MB"),
)


@dataclass(frozen=True)
class Limit:
    phase: str
    measure: str
    limit: float
    unit: str
    value: float | None  # None when the phase measured nothing

    @property
    def name(self) -> str:
        return f"{self.phase}.{self.measure}"

    @property
    def met(self) -> bool | None:
        return None if self.value is None else self.value <= self.limit

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "limit": self.limit, "unit": self.unit, "met": self.met}


def limits(measures: Mapping[str, Mapping[str, Any]]) -> list[Limit]:
    """Every limit of ``LIMITS`` whose phase was run; ``measures`` maps phase -> its measures."""
    found = []
    for phase, measure, limit, unit in LIMITS:
        if phase not in measures:
            continue
        value = measures[phase].get(measure)
        found.append(Limit(phase, measure, limit, unit, float(value) if value is not None else None))
    return found
