"""Phase (a'), a hand-written confluent-kafka loop doing our work: the most our stages can do in one
process without a framework, and the bar our pipeline is held to.

The loop consumes raw messages of every family in batches of ``process_batch``, runs them through
``StageWork`` (validate, pseudonymise, enrich, watch lists, rules, alert book), produces enriched events,
dead letters and alerts, and keeps their ClickHouse rows. When the rows reach ``sink_batch_rows`` or
``sink_batch_within_s`` has passed since the first of them (the worker's sink policy), it waits for Kafka
to acknowledge every record, inserts the rows with ``TableWriter`` and only then commits the offsets of
the messages the rows came from: the worker's at-least-once order, without the framework.
"""

from __future__ import annotations

import gc
import resource
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pipeline.bench.kafka_io import consumer, partitions_of
from pipeline.bench.progress import Progress
from pipeline.bench.results import PhaseResult, Sample, drain
from pipeline.bench.stored import StoredCounter
from pipeline.bench.work import StageWork, build_stage_work
from pipeline.contracts import DeviceFamily
from pipeline.settings import Settings
from pipeline.sink.clickhouse import TableWriter
from pipeline.sink.policy import FlushPolicy, RetryPolicy
from pipeline.stages.intake import RawMessage
from pipeline.stages.rows import ALERT_COLUMNS, DEVICE_EVENT_COLUMNS, PLATE_READ_COLUMNS
from pipeline.topics import Topics
from pipeline.worker.heap import freeze_heap, tune_collector

COLUMNS = {"plate_reads": PLATE_READ_COLUMNS, "device_events": DEVICE_EVENT_COLUMNS, "alerts": ALERT_COLUMNS}


class _Deliveries:
    def __init__(self) -> None:
        self.failed = 0
        self.first: str | None = None

    def __call__(self, err: Any, msg: Any) -> None:
        if err is not None:
            self.failed += 1
            self.first = self.first or f"{msg.topic()}: {err}"


class HandWrittenLoop:
    def __init__(self, settings: Settings, source: Topics, work: StageWork, group: str) -> None:
        from confluent_kafka import Producer

        from pipeline.reference_publish import producer_config
        from pipeline.storage.client import clickhouse_client

        self.settings = settings
        self.source = source
        self.work = work
        self.families = {source.raw(family): family for family in DeviceFamily}
        bootstrap = settings.kafka.bootstrap_servers
        self.consumer = consumer(bootstrap, group)
        self.producer = Producer(producer_config(bootstrap, "warmcity-bench-a2"))
        retry = RetryPolicy(max_wait_s=settings.pipeline.sink_retry_max_backoff_s)
        connect: Callable[[], Any] = lambda: clickhouse_client(settings.clickhouse)  # noqa: E731
        self.writers = {table: TableWriter(connect, table, cols, retry) for table, cols in COLUMNS.items()}
        self.sink = FlushPolicy.for_sink(settings.pipeline)
        self.deliveries = _Deliveries()

    def run(self, total: int, echo: Callable[[str], None], stall_s: float) -> tuple[list[Sample], str | None]:
        """Until ``total`` events are stored (or dead-lettered) and committed; the samples and an error."""
        self.consumer.assign(partitions_of(self.consumer, list(self.families)))
        progress = Progress("a'", total, echo)
        rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        offsets: dict[tuple[str, int], int] = {}
        held = done = 0  # events whose outputs wait for the next flush; events committed
        first_held = 0.0
        start = last_seen = time.perf_counter()
        samples = [Sample(0.0, 0)]
        batch = self.settings.pipeline.process_batch
        while done < total:
            wanted = min(batch, total - done - held)  # the last call returns with the last message
            messages = (
                self.consumer.consume(num_messages=wanted, timeout=self.sink.max_wait_s / 5) if wanted else []
            )
            now = time.perf_counter()
            if messages:
                last_seen = now
                first_held = first_held or now
                held += self._process(messages, rows, offsets)
            elif not done and not held:  # still waiting for the first fetch: not part of the drain
                samples.append(Sample(now - start, 0))
            if not messages and now - last_seen > stall_s and not held:
                return samples, f"no message for {stall_s:.0f} s after {done:,} of {total:,}"
            event_rows = len(rows["plate_reads"]) + len(rows["device_events"])
            due = event_rows >= self.sink.max_rows or now - first_held >= self.sink.max_wait_s
            if held and (due or done + held >= total):
                self._flush(rows, offsets)
                done, held, first_held = done + held, 0, 0.0
                rows.clear()
                offsets.clear()
                sample = Sample(time.perf_counter() - start, done)
                samples.append(sample)
                progress.saw(sample)
        return samples, None

    def _process(
        self, messages: list[Any], rows: dict[str, list[tuple[Any, ...]]], offsets: dict[tuple[str, int], int]
    ) -> int:
        by_family: dict[DeviceFamily, list[RawMessage]] = defaultdict(list)
        for message in messages:
            if message.error() is not None:
                continue
            topic, partition, offset = message.topic(), message.partition(), message.offset()
            raw = RawMessage(topic, partition, offset, message.key(), message.value())
            by_family[self.families[topic]].append(raw)
            offsets[(topic, partition)] = offset + 1
        now = datetime.now(UTC)
        count = 0
        for family, raws in by_family.items():
            out = self.work.process(raws, family, now)
            for topic, key, value in out.records:
                self._produce(topic, key, value)
            for table, table_rows in out.rows.items():
                rows[table].extend(table_rows)
            count += out.enriched + out.dead_letters  # events: an envelope holds several
        self.producer.poll(0)
        return count

    def _produce(self, topic: str, key: bytes | None, value: bytes) -> None:
        while True:
            try:
                self.producer.produce(topic, key=key, value=value, on_delivery=self.deliveries)
                return
            except BufferError:
                self.producer.poll(0.05)

    def _flush(self, rows: dict[str, list[tuple[Any, ...]]], offsets: dict[tuple[str, int], int]) -> None:
        """Kafka acknowledged every record, ClickHouse took every row: only then the offsets move."""
        from confluent_kafka import TopicPartition

        undelivered = self.producer.flush(60)
        if undelivered or self.deliveries.failed:
            raise RuntimeError(
                f"a': {undelivered} undelivered, {self.deliveries.failed} failed: {self.deliveries.first}"
            )
        for table, table_rows in rows.items():
            if table_rows and not self.writers[table].insert(table_rows):
                raise RuntimeError(f"a': insert into {table} stopped")
        commit = [TopicPartition(t, p, o) for (t, p), o in offsets.items()]
        self.consumer.commit(offsets=commit, asynchronous=False)

    def close(self) -> None:
        self.consumer.close()
        self.producer.flush(30)


def run_handwritten(
    settings: Settings,
    source: Topics,
    outputs: Topics,
    group: str,
    total: int,
    echo: Callable[[str], None],
    stall_s: float = 60.0,
) -> PhaseResult:
    """``settings`` name the phase's database; the phase's output topics must exist."""
    from pipeline.storage.client import clickhouse_client
    from pipeline.worker.references import ReferenceFeeds

    began = time.perf_counter()
    bootstrap = settings.kafka.bootstrap_servers
    feeds = ReferenceFeeds(bootstrap, source)
    for feed in feeds.feeds.values():
        feed.start()
    try:
        from pipeline.reference_feed import wait_all_ready

        wait_all_ready(list(feeds.feeds.values()), settings.pipeline.reference_ready_timeout_s)
        loop = HandWrittenLoop(settings, source, build_stage_work(settings, feeds.references, outputs), group)
        thresholds = gc.get_threshold()
        tune_collector()  # as the worker does (pipeline/worker/heap.py), undone after the phase
        freeze_heap()
        cpu_before = process_cpu_s()
        try:
            samples, error = loop.run(total, echo, stall_s)
        finally:
            cpu_s = process_cpu_s() - cpu_before
            gc.unfreeze()
            gc.set_threshold(*thresholds)
            loop.close()
    finally:
        feeds.stop()
    counter = StoredCounter(
        clickhouse_client(settings.clickhouse), bootstrap, outputs.dead_letter, f"{group}-count"
    )
    try:
        processed, found = counter.processed(), counter.outputs()
    finally:
        counter.close()
    return PhaseResult(
        phase="a2",
        events=total,
        processed=processed,
        drain=drain(samples, total),
        wall_s=time.perf_counter() - began,
        outputs=found,
        samples=tuple(samples),
        error=error,
        notes=("rules' state and the alert book in process: no detect/detections topics, no ticks",),
        measures={
            # The harness process while the loop ran (its librdkafka threads included), registry loaded.
            "worker_cpu_s": round(cpu_s, 2),
            "worker_cpu_us_per_event": round(cpu_s / total * 1e6, 1) if total else None,
        },
    )


def process_cpu_s() -> float:
    """User + system CPU time of this process, every thread, s."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
