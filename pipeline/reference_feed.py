"""A compacted reference topic (device registry, watch list) kept as an in-memory mapping in every worker.

Each worker reads *all* partitions of the topic from the beginning, outside any consumer group, in a
background thread, and keeps applying updates: a new wanted plate takes effect within a poll interval on
every worker, without a restart. A tombstone (null value) removes the key. We do not use a Faust
GlobalTable here: its recovery is known to hang on empty or compacted changelog partitions, and the data
is small enough to hold as a plain dict.

How a feed keeps its values is its ``Storage``: ``PARSED`` keeps the validated models (for the device
registry and the other small topics, read on every event), with one shared ``__pydantic_fields_set__``
per distinct set of fields instead of one set per record and nested model (a set of 5+ names is 728 bytes:
more than half of a device record); ``as_json(Model)`` keeps each record as the compact JSON of the
validated model (``model_dump_json(exclude_unset=True)``, an exactly sized ``bytes``) and validates it
again on every read: for the watch lists, which may hold a million entries and are read mostly for keys
they do not have. Either way a record is validated when it arrives, so an invalid one is rejected there.
Measured (``tests/unit/test_reference_feed.py`` asserts the bounds): a plate watch-list entry takes about
1,200 bytes as a model and about 250 as JSON; a device record about 2,400 bytes as parsed, about 1,000
with the shared field sets.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from pipeline.metrics import REFERENCE_ENTRIES

log = logging.getLogger(__name__)

PREFETCH_KIB = 8_192  # per feed: enough to keep a load of a million watch-list entries fed

V = TypeVar("V")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Storage(Generic[V]):
    """How a feed keeps a parsed value (``keep``) and gives it back to readers (``load``; None: as kept)."""

    keep: Callable[[V], Any]
    load: Callable[[Any], V] | None = None


_SHARED_FIELD_SETS: dict[frozenset[str], set[str]] = {}
_shared_lock = threading.Lock()


def share_field_sets(value: V) -> V:
    """``value`` with every (nested) pydantic model's ``__pydantic_fields_set__`` replaced by one shared set
    per distinct content. Only for frozen models, whose field set pydantic never changes in place
    (``model_copy`` copies it first); other values are returned as they are."""
    if isinstance(value, BaseModel) and value.model_config.get("frozen"):
        names = frozenset(value.__pydantic_fields_set__)
        with _shared_lock:
            shared = _SHARED_FIELD_SETS.setdefault(names, set(names))
        object.__setattr__(value, "__pydantic_fields_set__", shared)
        for item in value.__dict__.values():
            if isinstance(item, BaseModel):
                share_field_sets(item)
    return value


PARSED: Storage[Any] = Storage(keep=share_field_sets)


def as_json(model: type[M]) -> Storage[M]:
    """Keep records of ``model`` as their compact JSON, validated again on every read."""

    def keep(value: M) -> bytes:
        return value.model_dump_json(exclude_unset=True).encode()

    return Storage(keep=keep, load=model.model_validate_json)


class ReferenceView(Mapping[str, V]):
    """Read-only view handed to the stages; the feed thread replaces entries underneath (atomic dict ops).
    With a ``load`` function the dict holds kept forms (see ``Storage``) and every read rebuilds the value:
    equal each time, not the same object. ``revision`` grows with every change the feed applies, so a
    reader that derives something from all the values (the grid cells' index) knows when to derive again;
    ``snapshot`` copies them consistently while the feed thread writes."""

    def __init__(self, data: dict[str, Any], load: Callable[[Any], V] | None = None) -> None:
        self._data = data
        self._load = load
        self.revision = 0

    def snapshot(self) -> dict[str, V]:
        """Every entry as of now (one atomic copy of the dict, then loaded)."""
        kept = self._data.copy()
        if self._load is None:
            return kept
        load = self._load
        return {key: load(value) for key, value in kept.items()}

    def __getitem__(self, key: str) -> V:
        kept = self._data[key]
        return kept if self._load is None else self._load(kept)

    def get(self, key: str, default: V | None = None) -> V | None:  # type: ignore[override]
        kept = self._data.get(key)
        if kept is None:
            return default
        return kept if self._load is None else self._load(kept)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)


class ReferenceFeed(Generic[V]):
    def __init__(
        self,
        bootstrap: str,
        topic: str,
        parse: Callable[[bytes], V],
        name: str,
        storage: Storage[V] | None = None,
    ) -> None:
        self.topic = topic
        self.name = name
        self._bootstrap = bootstrap
        self._parse = parse
        self._keep = storage.keep if storage is not None else None
        self._data: dict[str, Any] = {}
        self.view: ReferenceView[V] = ReferenceView(self._data, storage.load if storage is not None else None)
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"reference-{name}", daemon=True)
        self.error: BaseException | None = None
        self.rejected = 0

    def start(self) -> None:
        REFERENCE_ENTRIES.labels(self.name).set(len(self._data))  # an empty topic shows as 0, not as absent
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
            if self._data.pop(name, None) is not None:
                self.view.revision += 1
        else:
            try:
                parsed = self._parse(value)
                self._data[name] = parsed if self._keep is None else self._keep(parsed)
                self.view.revision += 1  # after the write: a reader seeing the new revision sees the record
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
                    # librdkafka prefetches up to 64 MiB per consumer by default; a feed applies records
                    # one by one anyway, and what it prefetched stays in the process's heap after loading.
                    "queued.max.messages.kbytes": PREFETCH_KIB,
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
