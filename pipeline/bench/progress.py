"""Progress lines of a long phase, at most one per ``every_s``: how far, how fast since the last line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.bench.results import Sample


@dataclass
class Progress:
    label: str
    total: int
    echo: Callable[[str], None]
    every_s: float = 10.0
    _last: Sample = field(default_factory=lambda: Sample(0.0, 0))

    def line(self, sample: Sample) -> str:
        span = sample.t_s - self._last.t_s
        rate = (sample.count - self._last.count) / span if span > 0 else 0.0
        share = sample.count / self.total if self.total else 1.0
        return (
            f"  [{self.label}] {sample.count:,} of {self.total:,} ({share:.0%}) after {sample.t_s:.0f} s, "
            f"{rate:,.0f}/s lately"
        )

    def saw(self, sample: Sample) -> None:
        if sample.t_s - self._last.t_s >= self.every_s:
            self.echo(self.line(sample))
            self._last = sample
