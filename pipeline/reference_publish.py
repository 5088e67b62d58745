"""Publishes reference data to its compacted topics: the device registry and the plate watch list.

Keys carry the identity (``device_id``, or the plate), so compaction keeps the latest record per key and a
tombstone (null value) removes a plate from the watch list. Every function waits until each record is
acknowledged by the broker and raises ``PublishError`` with a readable reason otherwise; a worker reading
the topic sees the change within seconds, without a restart.

Also home of the producer basics the simulator shares: ``producer_config`` and ``require_topic``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pipeline.contracts.envelope import PLATE_PATTERN, clean_plate
from pipeline.contracts.reference import DeviceRecord, PlateWatchEntry

if TYPE_CHECKING:
    from confluent_kafka import KafkaError, Message, Producer

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
    failures: list[str] = []

    def on_delivery(err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            failures.append(f"key {msg.key()!r}: {err.str()}")

    sent = 0
    for key, value in records:
        while True:
            try:
                producer.produce(topic, key=key, value=value, on_delivery=on_delivery)
                break
            except BufferError:  # local queue full: let deliveries drain, then retry
                producer.poll(0.1)
        producer.poll(0)
        sent += 1
    undelivered = producer.flush(timeout_s)
    if undelivered:
        raise PublishError(f"{undelivered} of {sent} records to {topic} not delivered within {timeout_s:g}s")
    if failures:
        raise PublishError(f"{len(failures)} of {sent} records to {topic} failed, first: {failures[0]}")
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
