"""Phase (b), the naive baseline: a minimal Faust app whose agent does our work one event at a time.

``async for event in stream.events()`` over every raw topic of the source: each event goes through
``StageWork`` alone and each output is sent with its own ``await topic.send``, the way a Faust agent is
usually written. Sink agents store the enriched events and alerts in ClickHouse in batches, as the
worker's do (``take_events`` of ``sink_batch_rows`` within ``sink_batch_within_s``): the naive part is the
processing, not the storage. Run as a process: ``python -m pipeline.bench.naive_app --source-prefix P``
with the phase's settings in the environment (its own topic prefix, database and privacy key).
"""

from __future__ import annotations

import argparse
import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import faust

from pipeline.bench.work import build_stage_work
from pipeline.contracts import DeviceFamily, EnrichedEvent
from pipeline.contracts.alert import Alert
from pipeline.settings import Settings
from pipeline.sink.clickhouse import TableWriter
from pipeline.sink.policy import FlushPolicy, RetryPolicy
from pipeline.stages.intake import RawMessage
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
from pipeline.worker.references import ReferenceFeeds

APP_SUFFIX = "naive"


class NaiveApp:
    def __init__(self, settings: Settings, source: Topics) -> None:
        self.settings = settings
        self.outputs = Topics.from_settings(settings.kafka)
        bootstrap = settings.kafka.bootstrap_servers
        self.app = faust.App(
            f"{self.outputs.prefix}-{APP_SUFFIX}",
            broker=[f"kafka://{server.strip()}" for server in bootstrap.split(",")],
            store="memory://",
            datadir=str(settings.pipeline.data_dir),
            web_enabled=False,
            topic_allow_declare=False,
            topic_disable_leader=True,
            consumer_auto_offset_reset="earliest",
            producer_acks=-1,
        )
        self.references = ReferenceFeeds(bootstrap, source)
        self.work = build_stage_work(settings, self.references.references, self.outputs)
        self.families = {source.raw(family): family for family in DeviceFamily}
        self.sends = {name: self.topic(name) for name in self._output_names()}
        self._stopping = threading.Event()
        self.app.agent(self.topic(*self.families), name="naive-intake")(self.intake)
        self._wire_sinks()

    def topic(self, *names: str) -> Any:
        return self.app.topic(*names, key_serializer="raw", value_serializer="raw")

    def _output_names(self) -> list[str]:
        return [self.outputs.enriched(f) for f in DeviceFamily] + [
            self.outputs.alerts,
            self.outputs.dead_letter,
        ]

    async def intake(self, stream: Any) -> None:
        await self.references.ready(self.settings.pipeline.reference_ready_timeout_s)
        async for event in stream.events():
            message = event.message
            raw = RawMessage(message.topic, message.partition, message.offset, message.key, message.value)
            out = self.work.process([raw], self.families[message.topic], datetime.now(UTC), rows=False)
            for topic, key, value in out.records:
                await self.sends[topic].send(key=key, value=value)

    def _wire_sinks(self) -> None:
        settings = self.settings
        retry = RetryPolicy(max_wait_s=settings.pipeline.sink_retry_max_backoff_s)
        connect: Callable[[], Any] = lambda: clickhouse_client(settings.clickhouse)  # noqa: E731
        plates = self.outputs.enriched(DeviceFamily.VEHICLE_CHECKPOINT)
        others = [self.outputs.enriched(f) for f in DeviceFamily if f is not DeviceFamily.VEHICLE_CHECKPOINT]
        sinks: list[tuple[str, list[str], str, Any, Callable[[bytes], tuple[Any, ...]]]] = [
            ("sink-plate-reads", [plates], "plate_reads", PLATE_READ_COLUMNS,
             lambda v: plate_read_row(EnrichedEvent.model_validate_json(v))),
            ("sink-device-events", others, "device_events", DEVICE_EVENT_COLUMNS,
             lambda v: device_event_row(EnrichedEvent.model_validate_json(v))),
            ("sink-alerts", [self.outputs.alerts], "alerts", ALERT_COLUMNS,
             lambda v: alert_row(Alert.model_validate_json(v))),
        ]  # fmt: skip
        policy = FlushPolicy.for_sink(settings.pipeline)
        for name, topics, table, columns, to_row in sinks:
            writer = TableWriter(connect, table, columns, retry, self._stopping)

            async def sink(stream: Any, writer: TableWriter = writer, to_row: Any = to_row) -> None:
                async for events in stream.take_events(policy.max_rows, within=policy.max_wait_s):
                    rows = [to_row(e.message.value) for e in events]
                    if not await asyncio.to_thread(writer.insert, rows):
                        raise asyncio.CancelledError

            self.app.agent(self.topic(*topics), name=name)(sink)

        @self.app.on_before_shutdown.connect
        def _stop_writers(app: Any, /, *args: Any, **kwargs: Any) -> None:
            self._stopping.set()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--source-prefix", required=True, help="Topic prefix of the raw and reference topics."
    )
    args = parser.parse_args(argv)
    settings = Settings.load()
    kafka = settings.kafka
    naive = NaiveApp(settings, Topics(args.source_prefix, kafka.partitions, kafka.reference_partitions))
    faust.Worker(naive.app, loglevel=settings.pipeline.log_level, quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
