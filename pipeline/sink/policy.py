"""When the sink flushes: a named, frozen policy instead of flags scattered over the agents."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.settings import PipelineSettings


@dataclass(frozen=True)
class FlushPolicy:
    """Flush a batch when it holds ``max_rows`` rows or ``max_wait_s`` passed since its first row.

    Offsets of a batch's messages are acknowledged only after ClickHouse accepted the batch's insert."""

    max_rows: int
    max_wait_s: float

    @classmethod
    def for_sink(cls, settings: PipelineSettings) -> FlushPolicy:
        return cls(settings.sink_batch_rows, settings.sink_batch_within_s)

    @classmethod
    def for_processing(cls, settings: PipelineSettings) -> FlushPolicy:
        return cls(settings.process_batch, settings.process_within_s)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff for transient failures: first wait, factor, and cap; retries never give up."""

    first_wait_s: float = 0.5
    factor: float = 2.0
    max_wait_s: float = 30.0

    def wait_before(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1 for the first retry)."""
        return min(self.max_wait_s, self.first_wait_s * self.factor ** (attempt - 1))
