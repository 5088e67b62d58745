"""Publishes reference data to its compacted topics: the city's registry and sites, and the plate watch list.

Keys carry the identity (``device_id``, ``site_id``..., or the plate), so compaction keeps the latest
record per key and a tombstone (null value) removes a plate from the watch list. Every function waits
until each record is acknowledged by the broker and raises ``PublishError`` with a readable reason
otherwise; a worker reading the topic sees the change within seconds, without a restart.

Also home of the producer basics the simulator shares: ``producer_config`` and ``require_topic``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pipeline.contracts.envelope import PLATE_PATTERN, clean_plate
from pipeline.contracts.reference import DeviceRecord, PlateWatchEntry

if TYPE_CHECKING:
    from confluent_kafka import KafkaError, Message, Producer

    from pipeline.city.model import City
    from pipeline.topics import Topics

# confluent_kafka is imported where it is used, so that the pure simulator can share ``normalise_plate``
# without loading librdkafka.
_PLATE = re.compile(PLATE_PATTERN)
METADATA_TIMEOUT_S = 10.0

# librdkafka's own log (a line per reconnect attempt while a broker is down) goes to this logger. Like any
# library logger it is silent until the application configures logging; the errors that matter reach the
# caller as a PublishError or a failed delivery anyway.
KAFKA_CLIENT_LOG = logging.getLogger("pipeline.kafka")
KAFKA_CLIENT_LOG.addHandler(logging.NullHandler())


class PublishError(RuntimeError):
    """A record did not reach Kafka: broker unreachable, topic missing, or delivery failed."""


def normalise_plate(plate: str) -> str:
    """``clean_plate``, then ``ValueError`` unless the result is a valid plate."""
    normal = clean_plate(plate)
    if not _PLATE.fullmatch(normal):
        raise ValueError(f"invalid plate {plate!r}: must match {PLATE_PATTERN}")
    return normal


def producer_config(bootstrap: str, client_id: str, **overrides: Any) -> dict[str, Any]:
    """librdkafka settings for the project's producers."""
    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "client.id": client_id,
        "acks": "all",
        "enable.idempotence": True,
        # Same key -> same partition as Java and aiokafka clients (librdkafka's default hashes with CRC32).
        "partitioner": "murmur2_random",
        # Topics are created by the project with explicit partitions, never by a producer's metadata request.
        "allow.auto.create.topics": False,
        "message.timeout.ms": 30_000,
        "logger": KAFKA_CLIENT_LOG,
    }
    config.update(overrides)
    return config


def require_topic(
    producer: Producer, topic: str, bootstrap: str, timeout_s: float = METADATA_TIMEOUT_S
) -> None:
    """Raise ``PublishError`` unless the broker answers and ``topic`` exists."""
    from confluent_kafka import KafkaException

    try:
        metadata = producer.list_topics(topic, timeout=timeout_s)
    except KafkaException as exc:
        reason = exc.args[0].str() if exc.args and hasattr(exc.args[0], "str") else str(exc)
        raise PublishError(f"cannot reach Kafka at {bootstrap} within {timeout_s:g}s: {reason}") from exc
    found = metadata.topics.get(topic)
    if found is None or found.error is not None:
        raise PublishError(
            f"topic {topic!r} does not exist on {bootstrap}; create it with 'warmcity topics create'"
        )


def publish_records(
    bootstrap: str, topic: str, records: Iterable[tuple[bytes, bytes | None]], timeout_s: float = 30.0
) -> int:
    """Produce ``(key, value)`` records (``None`` value: tombstone), wait for all of them; return how many."""
    from confluent_kafka import Producer

    producer = Producer(producer_config(bootstrap, "warmcity-reference"))
    require_topic(producer, topic, bootstrap, min(timeout_s, METADATA_TIMEOUT_S))
    deliveries = _Deliveries()
    sent = _produce(producer, topic, records, deliveries)
    deliveries.wait(producer, timeout_s, sent, f"records to {topic}")
    return sent


Progress = Callable[[str, int, int], None]
"""Called as ``progress(topic_name, sent, total)`` while ``publish_city`` produces."""

_PROGRESS_EVERY = 5_000


def publish_city(
    bootstrap: str,
    topics: Topics,
    city: City,
    timeout_s: float = 60.0,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Publish all of ``city``'s reference data (devices, sites, crowd zones, depots, permits, grid cells);
    return how many records went to each reference topic, by topic name.

    One producer for every topic, batching generously: the city profile's ~80,000 records take seconds.
    Every topic is checked before anything is sent, so a missing one fails without a partial publish."""
    from confluent_kafka import Producer

    from pipeline.city.records import keyed, reference_records

    producer = Producer(producer_config(bootstrap, "warmcity-reference", **_BULK))
    timeout = min(timeout_s, METADATA_TIMEOUT_S)
    by_name = reference_records(city)
    for name in by_name:
        require_topic(producer, topics.reference(name), bootstrap, timeout)
    deliveries = _Deliveries()
    counts: dict[str, int] = {}
    for name, records in by_name.items():
        total = len(records)

        def report(sent: int, name: str = name, total: int = total) -> None:
            if progress is not None:
                progress(name, sent, total)

        counts[name] = _produce(producer, topics.reference(name), keyed(name, records), deliveries, report)
        report(counts[name])
    deliveries.wait(producer, timeout_s, sum(counts.values()), "reference records of the city")
    return counts


# Large batches for bulk loads: a registry is tens of MB of small JSON documents that compress well.
_BULK: dict[str, Any] = {
    "linger.ms": 50,
    "batch.size": 1_000_000,
    "compression.type": "lz4",
    "queue.buffering.max.messages": 200_000,
}


class _Deliveries:
    """Counts failed deliveries (keeping the first reasons) until ``wait`` raises or returns."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.failed = 0

    def on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self.failed += 1
            if len(self.failures) < 10:
                self.failures.append(f"key {msg.key()!r}: {err.str()}")

    def wait(self, producer: Producer, timeout_s: float, sent: int, what: str) -> None:
        """Flush; ``PublishError`` names how many of the ``sent`` ``what`` did not make it."""
        undelivered = producer.flush(timeout_s)
        if undelivered:
            raise PublishError(f"{undelivered} of {sent} {what} not delivered within {timeout_s:g}s")
        if self.failed:
            raise PublishError(f"{self.failed} of {sent} {what} failed, first: {self.failures[0]}")


def _produce(
    producer: Producer,
    topic: str,
    records: Iterable[tuple[bytes, bytes | None]],
    deliveries: _Deliveries,
    report: Callable[[int], None] | None = None,
) -> int:
    sent = 0
    for key, value in records:
        while True:
            try:
                producer.produce(topic, key=key, value=value, on_delivery=deliveries.on_delivery)
                break
            except BufferError:  # local queue full: let deliveries drain, then retry
                producer.poll(0.1)
        producer.poll(0)
        sent += 1
        if report is not None and sent % _PROGRESS_EVERY == 0:
            report(sent)
    return sent


def publish_devices(
    bootstrap: str, topic: str, devices: Sequence[DeviceRecord], timeout_s: float = 30.0
) -> int:
    """Publish registry records, key ``device_id``; return how many were delivered."""
    records = ((d.device_id.encode(), d.model_dump_json().encode()) for d in devices)
    return publish_records(bootstrap, topic, records, timeout_s)


def publish_watch_entry(bootstrap: str, topic: str, entry: PlateWatchEntry, timeout_s: float = 30.0) -> None:
    """Add or replace a watch-list entry, key the plate."""
    plate = normalise_plate(entry.plate)
    publish_records(bootstrap, topic, [(plate.encode(), entry.model_dump_json().encode())], timeout_s)


def remove_watch_entry(bootstrap: str, topic: str, plate: str, timeout_s: float = 30.0) -> None:
    """Remove a plate from the watch list with a tombstone."""
    publish_records(bootstrap, topic, [(normalise_plate(plate).encode(), None)], timeout_s)
