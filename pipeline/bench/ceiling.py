"""Phase (a), the ceiling: a plain confluent-kafka loop that reads the raw topics and decodes each message
with orjson, nothing else. No consumer group protocol (partitions are assigned), no commits."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import orjson

from pipeline.bench.kafka_io import consumer, partitions_of
from pipeline.bench.progress import Progress
from pipeline.bench.results import PhaseResult, Sample, drain
from pipeline.contracts.batch import is_batch

CONSUME_BATCH = 10_000


def run_ceiling(
    bootstrap: str,
    raw_topics: Sequence[str],
    total: int,
    group: str,
    echo: Callable[[str], None],
    stall_s: float = 60.0,
) -> PhaseResult:
    from confluent_kafka import OFFSET_BEGINNING

    began = time.perf_counter()
    reader = consumer(bootstrap, group)  # counts events: an envelope counts its events
    decoded = failed = 0
    samples = [Sample(0.0, 0)]
    progress = Progress("a", total, echo)
    error = None
    try:
        reader.assign(partitions_of(reader, raw_topics, OFFSET_BEGINNING))
        start = last_seen = time.perf_counter()
        samples = [Sample(0.0, 0)]
        while decoded + failed < total:
            # Never more than what is left: the last call returns as soon as the last message is there.
            wanted = min(CONSUME_BATCH, total - decoded - failed)
            messages = reader.consume(num_messages=wanted, timeout=0.5)
            now = time.perf_counter()
            if not messages:
                if not decoded + failed:  # still waiting for the first fetch: not part of the drain
                    samples.append(Sample(now - start, 0))
                if now - last_seen > stall_s:
                    error = f"no message for {stall_s:.0f} s after {decoded + failed:,} of {total:,}"
                    break
                continue
            last_seen = now
            for message in messages:
                if message.error() is not None:
                    continue
                try:
                    document = orjson.loads(message.value())
                    decoded += events_in(document)
                except orjson.JSONDecodeError:
                    failed += 1  # the workload has no malformed messages; counted, not hidden
            sample = Sample(time.perf_counter() - start, decoded + failed)
            samples.append(sample)
            progress.saw(sample)
    finally:
        reader.close()
    return PhaseResult(
        phase="a",
        events=total,
        processed=decoded + failed,
        drain=drain(samples, total),
        wall_s=time.perf_counter() - began,
        outputs={"decoded": decoded, "undecodable": failed},
        samples=tuple(samples),
        error=error,
    )


def events_in(document: object) -> int:
    """1 for a single event, the number of events for a batch envelope."""
    if isinstance(document, dict) and is_batch(document):
        events = document.get("events")
        return len(events) if isinstance(events, list) else 1
    return 1
