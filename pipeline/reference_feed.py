"""A compacted reference topic (device registry, watch list) kept as an in-memory mapping in every worker.

Each worker reads *all* partitions of the topic from the beginning, outside any consumer group, in a
background thread, and keeps applying updates: a new wanted plate takes effect within a poll interval on
every worker, without a restart. A tombstone (null value) removes the key. We do not use a Faust
GlobalTable here: its recovery is known to hang on empty or compacted changelog partitions, and the data
is small enough to hold as a plain dict.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar

from pydantic import ValidationError

from pipeline.metrics import REFERENCE_ENTRIES

log = logging.getLogger(__name__)

V = TypeVar("V")


class ReferenceView(Mapping[str, V]):
    """Read-only view handed to the stages; the feed thread replaces entries underneath (atomic dict ops)."""

    def __init__(self, data: dict[str, V]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> V:
        return self._data[key]

    def get(self, key: str, default: V | None = None) -> V | None:  # type: ignore[override]
        return self._data.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)


class ReferenceFeed(Generic[V]):
    def __init__(self, bootstrap: str, topic: str, parse: Callable[[bytes], V], name: str) -> None:
        self.topic = topic
        self.name = name
        self._bootstrap = bootstrap
        self._parse = parse
        self._data: dict[str, V] = {}
        self.view: ReferenceView[V] = ReferenceView(self._data)
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"reference-{name}", daemon=True)
        self.error: BaseException | None = None
        self.rejected = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def wait_ready(self, timeout_s: float) -> bool:
        """True once everything present at start was loaded."""
        return self._ready.wait(timeout_s)

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            return
        name = key.decode("utf-8", errors="replace")
        if value is None:
            self._data.pop(name, None)
        else:
            try:
                self._data[name] = self._parse(value)
            except (ValidationError, ValueError) as exc:
                # A bad reference record must not stop the city's enrichment; it is logged and counted.
                self.rejected += 1
                log.error("%s: ignoring invalid record for key %r: %s", self.name, name, exc)
        REFERENCE_ENTRIES.labels(self.name).set(len(self._data))

    def _run(self) -> None:
        from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

        try:
            consumer = Consumer(
                {
                    "bootstrap.servers": self._bootstrap,
                    "group.id": f"reference-{self.name}-{uuid.uuid4().hex[:8]}",  # never joined or committed
                    "enable.auto.commit": False,
                    "enable.partition.eof": True,
                }
            )
            partitions = consumer.list_topics(self.topic, timeout=30).topics[self.topic].partitions
            if not partitions:
                raise RuntimeError(
                    f"reference topic {self.topic} does not exist: run 'warmcity topics create'"
                )
            targets: dict[int, int] = {}
            for p in partitions:
                _, high = consumer.get_watermark_offsets(TopicPartition(self.topic, p), timeout=30)
                targets[p] = high
            consumer.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in partitions])
            pending = {p for p, high in targets.items() if high > 0}
            if not pending:
                self._ready.set()
            while not self._stop.is_set():
                message = consumer.poll(0.5)
                if message is None:
                    continue
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        pending.discard(message.partition() or 0)
                        if not pending:
                            self._ready.set()
                        continue
                    log.warning("%s: %s", self.name, error)
                    continue
                self.apply(message.key(), message.value())
                partition, offset = message.partition() or 0, message.offset() or 0
                if offset + 1 >= targets.get(partition, 0):
                    pending.discard(partition)
                    if not pending:
                        self._ready.set()
            consumer.close()
        except Exception as exc:  # surfaced by wait_ready's caller through .error
            self.error = exc
            log.exception("%s: reference feed stopped", self.name)


def wait_all_ready(feeds: list[ReferenceFeed[object]], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    for feed in feeds:
        if not feed.wait_ready(max(0.0, deadline - time.monotonic())):
            cause = f": {feed.error}" if feed.error else ""
            raise RuntimeError(f"reference topic {feed.topic} not loaded within {timeout_s:.0f} s{cause}")
