"""Shared moves of the integration tests: run a worker process, read a topic, wait for a condition."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from confluent_kafka import Consumer, Producer, TopicPartition
from pydantic import SecretStr

from pipeline.settings import PrivacySettings, Settings
from pipeline.storage.migrate import migrate
from pipeline.topics import Topics, ensure_topics
from pipeline.worker.child import settings_env, worker_process
from tests.unit.factories import TEST_KEY

T = TypeVar("T")

# Integration tests send events timed now: the intake refuses events older than a week (and a fixed date
# in a test would age past that).
NOW_ISO = datetime.now(UTC).isoformat()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def scenario_settings(base: Settings, prefix: str, database: str, tmp_path: Path) -> Settings:
    """The test stack's settings with this test's topics, database, ports and privacy key."""
    return replace(
        base,
        kafka=base.kafka.model_copy(update={"topic_prefix": prefix, "partitions": 3}),
        clickhouse=base.clickhouse.model_copy(update={"database": database}),
        pipeline=base.pipeline.model_copy(
            update={"metrics_port": free_port(), "data_dir": tmp_path / "worker", "sink_batch_within_s": 0.5}
        ),
        privacy=PrivacySettings(hmac_key=SecretStr(TEST_KEY.decode())),
    )


@contextmanager
def running_worker(settings: Settings, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``warmcity worker`` process for the duration of the block."""
    with worker_process({**os.environ, **settings_env(settings)}, log_path) as process:
        yield process


def prepared(settings: Settings, database: str) -> tuple[str, Topics]:
    """Create this test's topics and migrate its database; return the bootstrap address and the topics."""
    topics = Topics.from_settings(settings.kafka)
    ensure_topics(settings.kafka.bootstrap_servers, topics.specs(settings.pipeline.app_id))
    migrate(settings.clickhouse, database)
    return settings.kafka.bootstrap_servers, topics


def produce(bootstrap: str, topic: str, messages: list[tuple[bytes | None, bytes | None]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for key, value in messages:
        producer.produce(topic, key=key, value=value)
    remaining = producer.flush(30)
    assert remaining == 0, f"{remaining} messages not delivered to {topic}"


def read_topic(bootstrap: str, topic: str, expected: int, timeout_s: float = 60) -> list[tuple[bytes, bytes]]:
    """Read from the beginning until ``expected`` messages came or the timeout passed."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-reader-{time.monotonic_ns()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    found: list[tuple[bytes, bytes]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(found) < expected and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=100, timeout=0.5):
                if message.error() is None:
                    found.append((message.key() or b"", message.value() or b""))
    finally:
        consumer.close()
    return found


def wait_for(
    condition: Callable[[], T],
    timeout_s: float,
    what: str,
    log_path: Path | None = None,
    explain: Callable[[], str] | None = None,
) -> T:
    """Poll ``condition`` until it returns a truthy value; fail naming ``what``, with the worker's log
    and what ``explain`` says of the state (e.g. ``group_lag``)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = ""
            if explain is not None:
                try:
                    tail += "\n--- " + explain()
                except Exception as exc:  # the explanation must not hide the failure
                    tail += f"\n--- no explanation: {exc!r}"
            if log_path is not None and log_path.exists():
                tail += "\n--- worker log (last 40 lines) ---\n" + "\n".join(
                    log_path.read_text(errors="replace").splitlines()[-40:]
                )
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}{tail}")
        time.sleep(0.5)


def group_lag(settings: Settings) -> str:
    """The worker group's committed offset against the end offset of every partition of its stream
    topics that still has messages waiting: which partition a stalled run left behind."""
    topics = Topics.from_settings(settings.kafka)
    group = f"{topics.prefix}-{settings.pipeline.app_id}"
    consumer = Consumer({"bootstrap.servers": settings.kafka.bootstrap_servers, "group.id": group,
                         "enable.auto.commit": False})  # fmt: skip
    try:
        specs = [s for s in topics.specs(settings.pipeline.app_id) if s.cleanup == "delete"]
        tps = [TopicPartition(s.name, p) for s in specs for p in range(s.partitions)]
        lines = []
        for tp in consumer.committed(tps, timeout=10):
            _, end = consumer.get_watermark_offsets(TopicPartition(tp.topic, tp.partition), timeout=10)
            start = max(tp.offset, 0)
            if end > start:
                lines.append(f"{tp.topic}[{tp.partition}]: committed {tp.offset}, end {end}")
        return f"group {group}, partitions with messages waiting:\n" + ("\n".join(lines) or "none")
    finally:
        consumer.close()
