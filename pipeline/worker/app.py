"""The Faust app: thin agents wiring the pure stages to topics and the sink to ClickHouse.

Delivery rules (see docs/architecture.md): an agent takes a batch with ``take_weighted``; the batch's
messages are acknowledged only when the agent asks for the next batch, i.e. after every output of the
batch was delivered to Kafka (intake and detection agents) or accepted by ClickHouse (sink agents), and
the batch's offsets are then recorded as finished in the worker's own ledger, which no commit may pass
(``finished``). When a batch cannot be finished (the worker stops while ClickHouse is away, or a bug
raises), its acknowledgements are withheld, so the offsets do not move and the batch is read again after
a restart.
Bad data never raises: it is dead-lettered by the stages. The detection agents live in ``detection_agents``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import faust
import orjson
from faust.types import TP

from pipeline.alerting.book import BookPolicy
from pipeline.contracts import DeviceFamily
from pipeline.contracts.alert import Alert
from pipeline.contracts.batch import count_header, count_of, join_json
from pipeline.metrics import (
    DEAD_LETTERED,
    EVENT_LAG_SECONDS,
    EVENTS_IN,
    EVENTS_OUT,
    INVALID_SHARE,
    INVALID_SHARE_TRIPPED,
    STAGE_SECONDS,
)
from pipeline.rules.catalogue import detection_rules, event_rules
from pipeline.settings import Settings
from pipeline.sink.clickhouse import TableWriter
from pipeline.sink.policy import FlushPolicy, RetryPolicy
from pipeline.stages.intake import IntakeContext, RawMessage, process_batch
from pipeline.stages.invalid_share import (
    InvalidShareCap,
    InvalidShareExceeded,
    InvalidShareGuard,
    InvalidShareTrip,
    batch_outcomes,
)
from pipeline.stages.privacy import Pseudonymiser
from pipeline.stages.rows import (
    ALERT_COLUMNS,
    DEVICE_EVENT_COLUMNS,
    PLATE_READ_COLUMNS,
    alert_row,
    device_event_row_of,
    plate_read_row_of,
)
from pipeline.stages.validate import EventTimeLimits
from pipeline.storage.client import clickhouse_client
from pipeline.topics import Topics
from pipeline.worker.batching import take_weighted
from pipeline.worker.detection import DetectionEngine, Routed, Source, detect_partition, rule_input_json
from pipeline.worker.finished import MARK as FINISHED_ONLY
from pipeline.worker.finished import FinishedOffsets, commit_finished_only
from pipeline.worker.gaps import refuse_gaps
from pipeline.worker.heap import freeze_heap
from pipeline.worker.intake_metrics import observe_intake
from pipeline.worker.references import ReferenceFeeds
from pipeline.worker.stall_watch import CHECK_EVERY_S, StalledPartitions, StallWatch, revive

log = logging.getLogger(__name__)


def withhold_acks(events: Sequence[Any]) -> None:
    """Keep these messages' offsets from being committed.

    ``take_weighted`` acknowledges a batch in a ``finally`` when its generator closes, even when the body was
    cancelled or raised, and Faust commits acknowledged offsets on shutdown. Marking the messages as
    already acked makes the consumer skip its bookkeeping for them, so their offsets (and every later
    one in the partition) stay uncommitted and are redelivered."""
    for event in events:
        event.message.acked = True


def raw_messages(events: Sequence[Any]) -> list[RawMessage]:
    return [
        RawMessage(e.message.topic, e.message.partition, e.message.offset, e.message.key, e.message.value)
        for e in events
    ]


STREAM_BUFFER_MESSAGES = 4096
MAX_BATCH_MESSAGE_BYTES = 512 * 1024  # internal batch messages stay well under Kafka's 1 MiB default
RAW_BYTES_PER_EVENT = 512  # a raw envelope without an ``n`` header is taken to hold one event per 512 bytes


def chunked(documents: list[bytes], limit: int = MAX_BATCH_MESSAGE_BYTES) -> list[list[bytes]]:
    """``documents`` cut into runs of at most ``limit`` bytes (a longer document makes a run alone)."""
    chunks: list[list[bytes]] = []
    current: list[bytes] = []
    size = 0
    for document in documents:
        if current and size + len(document) + 1 > limit:
            chunks.append(current)
            current, size = [], 0
        current.append(document)
        size += len(document) + 1
    if current:
        chunks.append(current)
    return chunks


def message_count(event: Any) -> int:
    """How many items an internal message holds (its ``n`` header; 1 for a single item)."""
    return count_of(event.message.headers)


def raw_weight(event: Any) -> int:
    """How many events a raw message is taken to hold, for the intake's batch bound: the ``n`` header a
    gateway may set on an envelope, else one per ``RAW_BYTES_PER_EVENT`` bytes of a large message."""
    headers = event.message.headers
    if headers:
        return count_of(headers)
    return max(1, len(event.message.value or b"") // RAW_BYTES_PER_EVENT)


def enriched_documents(value: bytes) -> list[dict[str, Any]]:
    """The events of an enriched-topic message as JSON objects: a JSON array (or, from older workers,
    one object). The intake validated them; the sink maps them to rows without models
    (``stages.rows.*_row_of``)."""
    document = orjson.loads(value)
    return document if isinstance(document, list) else [document]


async def delivered(deliveries: list[Awaitable[Any]]) -> None:
    """Wait until Kafka acknowledged every send of a batch: only then may the batch be acknowledged."""
    await asyncio.gather(*deliveries)


class PipelineWorker:
    """Builds the Faust app with its agents, reference feeds and ClickHouse writers from settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.topics = Topics.from_settings(settings.kafka)
        bootstrap = settings.kafka.bootstrap_servers
        self.app = faust.App(
            f"{self.topics.prefix}-{settings.pipeline.app_id}",
            broker=[f"kafka://{server.strip()}" for server in bootstrap.split(",")],
            store="memory://",
            datadir=str(settings.pipeline.data_dir),
            web_enabled=False,
            topic_allow_declare=False,  # the project creates every topic itself, changelogs included
            topic_disable_leader=True,
            consumer_auto_offset_reset="earliest",
            producer_acks=-1,
            # Messages, not events: a raw envelope or an internal batch holds many. Enough for a
            # 10,000-row sink batch of internal batches; bounded in memory with raw envelopes too.
            stream_buffer_maxsize=STREAM_BUFFER_MESSAGES,
            broker_max_poll_records=max(500, settings.pipeline.process_batch),
        )
        self.references = ReferenceFeeds(bootstrap, self.topics)
        refs = self.references.references
        self.context = IntakeContext(
            pseudonymiser=Pseudonymiser(settings.privacy.key_bytes()),
            devices=refs.devices,
            plate_watchlist=refs.plate_watchlist,
            person_watchlist=refs.person_watchlist,
            event_time_limits=EventTimeLimits(
                max_ahead=timedelta(seconds=settings.pipeline.max_event_ahead_s),
                max_age=timedelta(seconds=settings.pipeline.max_event_age_s),
            ),
            grid_cells=refs.grid_cells,
        )
        window = settings.pipeline.invalid_share_window
        self.invalid_share = InvalidShareGuard(
            InvalidShareCap(
                max_share=settings.pipeline.max_invalid_share,
                window=window,
                min_messages=min(settings.pipeline.invalid_share_min_messages, window),
            )
        )
        self.invalid_share_trip: InvalidShareTrip | None = None  # set when the cap stopped this worker
        self.stalled: list[tuple[str, int]] = []  # set when stalled raw partitions stopped this worker
        rule_settings = settings.rule_settings()
        self.engine = DetectionEngine(event_rules(rule_settings), detection_rules(rule_settings), refs)
        self.book_policy = BookPolicy(
            suppression_window=timedelta(seconds=settings.alerting.suppression_window_s),
            escalate_after=timedelta(seconds=settings.alerting.escalate_after_s),
        )
        self._stopping = threading.Event()
        self._heap_frozen = False
        retry = RetryPolicy(max_wait_s=settings.pipeline.sink_retry_max_backoff_s)
        connect: Callable[[], Any] = lambda: clickhouse_client(settings.clickhouse, as_user="writer")  # noqa: E731
        self.plate_reads_writer = TableWriter(
            connect, "plate_reads", PLATE_READ_COLUMNS, retry, self._stopping
        )
        self.device_events_writer = TableWriter(
            connect, "device_events", DEVICE_EVENT_COLUMNS, retry, self._stopping
        )
        self.alerts_writer = TableWriter(connect, "alerts", ALERT_COLUMNS, retry, self._stopping)
        self.processing = FlushPolicy.for_processing(settings.pipeline)
        self.sinking = FlushPolicy.for_sink(settings.pipeline)
        # Every topic whose messages all go through ``take_weighted`` with ``finished`` (see finished.py)
        self.finished = FinishedOffsets(
            [self.topics.raw(f) for f in DeviceFamily]
            + [self.topics.enriched(f) for f in DeviceFamily]
            + [self.topics.alerts, self.topics.detect, self.topics.detections, self.topics.alert_actions]
        )
        self.alerts = self.topic(self.topics.alerts)
        self.detect = self.topic(self.topics.detect)
        self.detections = self.topic(self.topics.detections)
        self._wire_intake()
        self._wire_sinks()
        self._wire_stream_clock()
        self._wire_stall_watch()
        from pipeline.worker.detection_agents import wire_detection

        wire_detection(self)

    def topic(self, *names: str) -> Any:
        return self.app.topic(*names, key_serializer="raw", value_serializer="raw")

    async def reference_ready(self) -> None:
        await self.references.ready(self.settings.pipeline.reference_ready_timeout_s)
        if not self._heap_frozen:  # the first agent through: the registry and watch lists are in
            self._heap_frozen = True
            freeze_heap()

    def _wire_intake(self) -> None:
        dead_letter = self.topic(self.topics.dead_letter)
        for family in DeviceFamily:
            raw, enriched = self.topic(self.topics.raw(family)), self.topic(self.topics.enriched(family))

            async def intake(stream: Any, family: DeviceFamily = family, enriched: Any = enriched) -> None:
                await self.reference_ready()
                async for events in take_weighted(
                    stream,
                    self.processing.max_rows,
                    self.processing.max_wait_s,
                    raw_weight,
                    self.finished.record,
                ):
                    try:
                        await self._intake(events, family, enriched, dead_letter)
                    except BaseException:
                        withhold_acks(events)
                        raise

            self.app.agent(raw, name=f"intake-{family.value}")(intake)

    def _wire_stream_clock(self) -> None:
        """Tell the stream clock which raw partitions this worker reads (see ``StreamClock``)."""
        raw_topics = {self.topics.raw(family) for family in DeviceFamily}
        clock = self.engine.clock

        def raw(partitions: Any) -> list[Source]:
            return [(tp.topic, tp.partition) for tp in partitions if tp.topic in raw_topics]

        @self.app.on_partitions_revoked.connect
        def _revoked(app: Any, /, *args: Any, **kwargs: Any) -> None:
            clock.revoked(raw(args[0]))  # the set of revoked topic-partitions

        @self.app.on_partitions_assigned.connect
        def _assigned(app: Any, /, *args: Any, **kwargs: Any) -> None:
            # before anything of the assignment is read or committed (see gaps.py, finished.py)
            refuse_gaps(self.app.consumer)
            commit_finished_only(self.app.consumer, self.finished).assigned()
            # What was finished stays finished through a rebalance (eager: every partition is revoked,
            # then most are assigned again); only partitions now owned elsewhere are forgotten.
            self.finished.keep_only({(tp.topic, tp.partition) for tp in args[0]})
            clock.assigned(raw(args[0]))  # the set of assigned topic-partitions

    def _wire_stall_watch(self) -> None:
        """Raw partitions assigned, with messages waiting, never read: see ``stall_watch``."""
        raw_topics = {self.topics.raw(family) for family in DeviceFamily}
        watch = StallWatch()

        async def _stall_check() -> None:
            consumer: Any = self.app.consumer
            cuts = getattr(consumer, FINISHED_ONLY, None)
            if cuts is not None and not self.app.rebalancing:
                await cuts.recheck()  # partitions whose commit was cut, still waiting (finished.py)
            tps = [tp for tp in consumer.assignment() if tp.topic in raw_topics]
            if not tps or self.app.rebalancing:
                watch.reset()
                return
            try:
                ends = await consumer.highwaters(*tps)
            except Exception as exc:  # a broker away: no judgement this round
                log.debug("stall check skipped: %r", exc)
                watch.reset()
                return
            committed = {(tp.topic, tp.partition): consumer._committed_offset.get(tp) for tp in tps}
            end_by = {(tp.topic, tp.partition): ends.get(tp) for tp in tps}
            to_revive, hopeless = watch.observe(committed, end_by, time.monotonic())
            for topic, partition in to_revive:
                found = await revive(consumer, TP(topic, partition))
                log.error(
                    "raw partition %s[%d] has messages not committed (end offset %s) and its commit did not "
                    "move for %.0f s: put back among the partitions fetched (%s)",
                    topic, partition, end_by[(topic, partition)], watch.stall_s, found,
                )  # fmt: skip
            if hopeless:
                self.stalled = hopeless
                error = StalledPartitions(hopeless, watch.give_up_s)
                log.critical("%s", error)
                await self.app.crash(error)

        self.app.timer(CHECK_EVERY_S)(_stall_check)

    def note_backlog(self, events: Sequence[Any]) -> None:
        """After a batch: how many messages still wait in each raw partition it came from."""
        last: dict[Source, int] = {}
        for event in events:
            last[(event.message.topic, event.message.partition)] = event.message.offset
        for (topic, partition), offset in last.items():
            high = self._highwater(TP(topic, partition))
            self.engine.clock.backlog((topic, partition), None if high is None else max(0, high - offset - 1))

    def _highwater(self, tp: TP) -> int | None:
        """The partition's end offset as of the consumer's last fetch; None when not known (aiokafka
        asserts when the partition was revoked in the meantime)."""
        try:
            high = self.app.consumer.highwater(tp)
        except (AssertionError, KeyError, AttributeError):
            return None
        return high if isinstance(high, int) else None

    def _wire_sinks(self) -> None:
        plate_reads = self.topic(self.topics.enriched(DeviceFamily.VEHICLE_CHECKPOINT))
        others = [self.topics.enriched(f) for f in DeviceFamily if f is not DeviceFamily.VEHICLE_CHECKPOINT]
        sinks: list[tuple[str, Any, TableWriter, Callable[[bytes], list[tuple[Any, ...]]]]] = [
            ("sink-plate-reads", plate_reads, self.plate_reads_writer,
             lambda v: [plate_read_row_of(e) for e in enriched_documents(v)]),
            ("sink-device-events", self.topic(*others), self.device_events_writer,
             lambda v: [device_event_row_of(e) for e in enriched_documents(v)]),
            ("sink-alerts", self.alerts, self.alerts_writer,
             lambda v: [alert_row(Alert.model_validate_json(v))]),
        ]  # fmt: skip
        for name, topic, writer, to_rows in sinks:

            async def sink(stream: Any, writer: TableWriter = writer, to_rows: Any = to_rows) -> None:
                async for events in take_weighted(
                    stream,
                    self.sinking.max_rows,
                    self.sinking.max_wait_s,
                    message_count,
                    self.finished.record,
                ):
                    rows = [row for e in events for row in to_rows(e.message.value)]
                    await self._insert(writer, rows, events)

            self.app.agent(topic, name=name)(sink)

        @self.app.on_before_shutdown.connect
        def _stop_writers(app: Any, /, *args: Any, **kwargs: Any) -> None:
            self._stopping.set()

    async def _intake(
        self, events: Sequence[Any], family: DeviceFamily, enriched: Any, dead_letter: Any
    ) -> None:
        started = time.perf_counter()
        now = datetime.now(UTC)
        EVENTS_IN.labels("intake", family.value).inc(len(events))
        messages = raw_messages(events)
        outcome = process_batch(messages, family, self.context, now)
        # Before anything of the batch is sent: over the cap, none of it is dead-lettered nor acknowledged.
        accepted = [message for message, _ in outcome.accepted]
        trip = self.invalid_share.observe(family, batch_outcomes(messages, outcome.dead_letters, accepted))
        INVALID_SHARE.labels(family.value).set(self.invalid_share.share(family))
        if trip is not None:
            await self._stop_on_invalid_share(trip, events)
        deliveries: list[Awaitable[Any]] = []
        lag = EVENT_LAG_SECONDS.labels(family.value)
        routed = Routed()
        documents: list[bytes] = []
        serialised: dict[int, bytes] = {}  # id of an enriched event -> its JSON, for its rule inputs
        for message, item in outcome.accepted:
            document = item.model_dump_json(by_alias=True).encode()
            documents.append(document)
            serialised[id(item)] = document
            lag.observe((now - item.event.event_time).total_seconds())
            self.engine.route_event(item, (message.topic, message.partition), routed)
        for chunk in chunked(documents):
            deliveries.append(await enriched.send(value=join_json(chunk), headers=count_header(len(chunk))))
        deliveries.extend(await self.send_routed(routed.inputs, routed.detections, serialised))
        for letter in outcome.dead_letters:
            letter_key = letter.key.encode() if letter.key is not None else None
            deliveries.append(await dead_letter.send(key=letter_key, value=letter.model_dump_json().encode()))
            DEAD_LETTERED.labels(family.value, letter.reason.value).inc()
        self.note_backlog(events)
        await delivered(deliveries)
        EVENTS_OUT.labels("intake", family.value).inc(len(outcome.enriched))
        observe_intake(outcome, family, now)  # events by district, events timed ahead of the clock
        STAGE_SECONDS.labels("intake").observe(time.perf_counter() - started)

    async def _stop_on_invalid_share(self, trip: InvalidShareTrip, events: Sequence[Any]) -> NoReturn:
        """Stop the worker with a non-zero exit code, leaving the batch unacknowledged.

        Raising in an agent would not do: Faust acks the message, logs the error and restarts the agent,
        which goes on with the next batch. Crashing the app marks every service up to the Faust worker as
        crashed; the worker then stops and re-raises the reason, and ``run_worker`` exits with
        ``EXIT_INVALID_SHARE``. This agent waits until it is cancelled by the shutdown."""
        withhold_acks(events)
        INVALID_SHARE_TRIPPED.labels(trip.family.value).inc()
        log.critical("%s", trip.describe())
        self.invalid_share_trip = trip
        try:
            raise InvalidShareExceeded(trip)
        except InvalidShareExceeded as error:  # raised and caught, so that the crash logs a traceback
            await self.app.crash(error)
        await asyncio.get_running_loop().create_future()  # never resolved: cancelled by the shutdown
        raise AssertionError("unreachable")  # pragma: no cover

    async def send_routed(
        self, inputs: Sequence[Any], detections: Sequence[Any], serialised: Mapping[int, bytes] | None = None
    ) -> list[Awaitable[Any]]:
        """Send rule inputs to the detect topic and detections to the detections topic. ``serialised``:
        enriched events already in JSON, by ``id()``, put into their rule inputs as they are."""
        from pipeline.worker.detection import book_key

        sent: list[Awaitable[Any]] = []
        by_partition: dict[int, list[bytes]] = {}
        for rule_input in inputs:
            partition = detect_partition(rule_input.table_key, self.topics.partitions)
            enriched_json = serialised.get(id(rule_input.enriched)) if serialised else None
            by_partition.setdefault(partition, []).append(rule_input_json(rule_input, enriched_json))
        for partition, documents in sorted(by_partition.items()):
            for chunk in chunked(documents):
                value, headers = join_json(chunk), count_header(len(chunk))
                sent.append(await self.detect.send(value=value, partition=partition, headers=headers))
        for detection in detections:
            sent.append(
                await self.detections.send(
                    key=book_key(detection), value=detection.model_dump_json().encode()
                )
            )
        return sent

    async def _insert(self, writer: TableWriter, rows: list[tuple[Any, ...]], events: Sequence[Any]) -> None:
        started = time.perf_counter()
        try:
            stored = await asyncio.to_thread(writer.insert, rows)
        except BaseException:
            withhold_acks(events)
            raise
        if not stored:  # stopped while ClickHouse was away: leave the batch for the next run
            withhold_acks(events)
            raise asyncio.CancelledError
        STAGE_SECONDS.labels(f"sink.{writer.table}").observe(time.perf_counter() - started)
