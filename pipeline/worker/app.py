"""The Faust app: thin agents wiring the pure stages to topics and the sink to ClickHouse.

Delivery rules (see docs/architecture.md): an agent takes a batch with ``take_events``; the batch's
messages are acknowledged only when the agent asks for the next batch, i.e. after every output of the
batch was delivered to Kafka (processing agent) or accepted by ClickHouse (sink agents). When a batch
cannot be finished (the worker stops while ClickHouse is away, or a bug raises), its acknowledgements are
withheld, so the offsets do not move and the batch is read again after a restart. Bad data never raises:
it is dead-lettered by the stages.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import faust

from pipeline.contracts import DeviceFamily, DeviceRecord, EnrichedEvent, PersonWatchEntry, PlateWatchEntry
from pipeline.contracts.alert import Alert
from pipeline.metrics import (
    ALERTS_RAISED,
    DEAD_LETTERED,
    EVENT_LAG_SECONDS,
    EVENTS_IN,
    EVENTS_OUT,
    STAGE_SECONDS,
)
from pipeline.reference_feed import ReferenceFeed, wait_all_ready
from pipeline.settings import Settings
from pipeline.sink.clickhouse import TableWriter
from pipeline.sink.policy import FlushPolicy, RetryPolicy
from pipeline.stages.intake import IntakeContext, RawMessage, process_batch
from pipeline.stages.privacy import Pseudonymiser
from pipeline.stages.rows import (
    ALERT_COLUMNS,
    DEVICE_EVENT_COLUMNS,
    PLATE_READ_COLUMNS,
    alert_row,
    device_event_row,
    plate_read_row,
)
from pipeline.storage.client import clickhouse_client
from pipeline.topics import Topics

log = logging.getLogger(__name__)


def withhold_acks(events: Sequence[Any]) -> None:
    """Keep these messages' offsets from being committed.

    ``take_events`` acknowledges a batch in a ``finally`` when its generator closes, even when the body was
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
            topic_allow_declare=False,  # the project creates every topic itself (warmcity topics create)
            topic_disable_leader=True,
            consumer_auto_offset_reset="earliest",
            producer_acks=-1,
            stream_buffer_maxsize=max(4096, settings.pipeline.sink_batch_rows * 2),
            broker_max_poll_records=max(500, settings.pipeline.process_batch),
        )
        self.devices: ReferenceFeed[DeviceRecord] = ReferenceFeed(
            bootstrap, self.topics.ref_devices, DeviceRecord.model_validate_json, "devices"
        )
        self.plate_watchlist: ReferenceFeed[PlateWatchEntry] = ReferenceFeed(
            bootstrap, self.topics.ref_plate_watchlist, PlateWatchEntry.model_validate_json, "plate_watchlist"
        )
        self.person_watchlist: ReferenceFeed[PersonWatchEntry] = ReferenceFeed(
            bootstrap,
            self.topics.reference("watchlist.persons"),
            PersonWatchEntry.model_validate_json,
            "person_watchlist",
        )
        self.context = IntakeContext(
            pseudonymiser=Pseudonymiser(settings.privacy.key_bytes()),
            devices=self.devices.view,
            plate_watchlist=self.plate_watchlist.view,
            person_watchlist=self.person_watchlist.view,
        )
        self._stopping = threading.Event()
        retry = RetryPolicy(max_wait_s=settings.pipeline.sink_retry_max_backoff_s)
        connect: Callable[[], Any] = lambda: clickhouse_client(settings.clickhouse)  # noqa: E731
        self.plate_reads_writer = TableWriter(
            connect, "plate_reads", PLATE_READ_COLUMNS, retry, self._stopping
        )
        self.device_events_writer = TableWriter(
            connect, "device_events", DEVICE_EVENT_COLUMNS, retry, self._stopping
        )
        self.alerts_writer = TableWriter(connect, "alerts", ALERT_COLUMNS, retry, self._stopping)
        self._ready: asyncio.Future[None] | None = None
        self._wire()

    def _topic(self, *names: str) -> Any:
        return self.app.topic(*names, key_serializer="raw", value_serializer="raw")

    def _wire(self) -> None:
        app = self.app
        alerts, dead_letter = self._topic(self.topics.alerts), self._topic(self.topics.dead_letter)
        processing = FlushPolicy.for_processing(self.settings.pipeline)
        sinking = FlushPolicy.for_sink(self.settings.pipeline)

        for family in DeviceFamily:
            raw, enriched = self._topic(self.topics.raw(family)), self._topic(self.topics.enriched(family))

            async def process(stream: Any, family: DeviceFamily = family, enriched: Any = enriched) -> None:
                await self.reference_ready()
                async for events in stream.take_events(processing.max_rows, within=processing.max_wait_s):
                    try:
                        await self._process(events, family, enriched, alerts, dead_letter)
                    except BaseException:
                        withhold_acks(events)
                        raise

            app.agent(raw, name=f"process-{family.value}")(process)

        plate_reads = self._topic(self.topics.enriched(DeviceFamily.VEHICLE_CHECKPOINT))
        others = [self.topics.enriched(f) for f in DeviceFamily if f is not DeviceFamily.VEHICLE_CHECKPOINT]

        @app.agent(plate_reads, name="sink-plate-reads")
        async def sink_plate_reads(stream: Any) -> None:
            async for events in stream.take_events(sinking.max_rows, within=sinking.max_wait_s):
                rows = [plate_read_row(EnrichedEvent.model_validate_json(e.message.value)) for e in events]
                await self._insert(self.plate_reads_writer, rows, events)

        @app.agent(self._topic(*others), name="sink-device-events")
        async def sink_device_events(stream: Any) -> None:
            async for events in stream.take_events(sinking.max_rows, within=sinking.max_wait_s):
                rows = [device_event_row(EnrichedEvent.model_validate_json(e.message.value)) for e in events]
                await self._insert(self.device_events_writer, rows, events)

        @app.agent(alerts, name="sink-alerts")
        async def sink_alerts(stream: Any) -> None:
            async for events in stream.take_events(sinking.max_rows, within=sinking.max_wait_s):
                rows = [alert_row(Alert.model_validate_json(e.message.value)) for e in events]
                await self._insert(self.alerts_writer, rows, events)

        @app.on_before_shutdown.connect
        def _stop_writers(app: Any, /, *args: Any, **kwargs: Any) -> None:
            self._stopping.set()

    async def reference_ready(self) -> None:
        """Load the reference topics once, before the first batch, so the first events are enriched too."""
        if self._ready is None:
            self._ready = asyncio.get_running_loop().create_future()
            try:
                feeds: list[ReferenceFeed[Any]] = [self.devices, self.plate_watchlist, self.person_watchlist]
                for feed in feeds:
                    feed.start()
                timeout = self.settings.pipeline.reference_ready_timeout_s
                await asyncio.to_thread(wait_all_ready, feeds, timeout)
                log.info(
                    "reference data loaded: %d devices, %d watched plates, %d watched persons",
                    len(self.devices.view),
                    len(self.plate_watchlist.view),
                    len(self.person_watchlist.view),
                )
                self._ready.set_result(None)
            except BaseException as exc:
                self._ready.set_exception(exc)
                raise
        await self._ready

    async def _process(
        self, events: Sequence[Any], family: DeviceFamily, enriched: Any, alerts: Any, dead_letter: Any
    ) -> None:
        started = time.perf_counter()
        now = datetime.now(UTC)
        EVENTS_IN.labels("process", family.value).inc(len(events))
        outcome = process_batch(raw_messages(events), family, self.context, now)
        deliveries: list[Awaitable[Any]] = []
        lag = EVENT_LAG_SECONDS.labels(family.value)
        for item in outcome.enriched:
            key = item.event.device_id.encode()
            deliveries.append(
                await enriched.send(key=key, value=item.model_dump_json(by_alias=True).encode())
            )
            lag.observe((now - item.event.event_time).total_seconds())
        for alert in outcome.alerts:
            deliveries.append(
                await alerts.send(key=alert.subject.encode(), value=alert.model_dump_json().encode())
            )
            ALERTS_RAISED.labels(alert.rule, alert.severity.value).inc()
        for letter in outcome.dead_letters:
            letter_key = letter.key.encode() if letter.key is not None else None
            deliveries.append(await dead_letter.send(key=letter_key, value=letter.model_dump_json().encode()))
            DEAD_LETTERED.labels(family.value, letter.reason.value).inc()
        # The batch is acknowledged only when the agent asks for the next one: wait for every delivery first.
        await asyncio.gather(*deliveries)
        EVENTS_OUT.labels("process", family.value).inc(len(outcome.enriched))
        STAGE_SECONDS.labels("process").observe(time.perf_counter() - started)

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
