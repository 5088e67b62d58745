"""The Kafka moves of a run that are not a phase: partitions of topics, message counts, copying a phase's
input topics partition by partition, and removing the run's consumer groups."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from pipeline.reference_publish import producer_config

log = logging.getLogger(__name__)

COPY_BATCH = 10_000
METADATA_TIMEOUT_S = 30.0


def consumer(bootstrap: str, group: str, **overrides: Any) -> Any:
    from confluent_kafka import Consumer

    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        **overrides,
    }
    return Consumer(config)


def partitions_of(client: Any, topics: Sequence[str], offset: int | None = None) -> list[Any]:
    """Every partition of ``topics`` (at ``offset`` when given)."""
    from confluent_kafka import TopicPartition

    found = []
    for topic in topics:
        metadata = client.list_topics(topic, timeout=METADATA_TIMEOUT_S).topics[topic]
        if metadata.error is not None:
            raise RuntimeError(f"topic {topic}: {metadata.error}")
        for partition in sorted(metadata.partitions):
            found.append(
                TopicPartition(topic, partition)
                if offset is None
                else TopicPartition(topic, partition, offset)
            )
    return found


def message_count(client: Any, topics: Sequence[str]) -> int:
    """Messages in ``topics`` (high minus low watermark, summed over partitions)."""
    total = 0
    for tp in partitions_of(client, topics):
        low, high = client.get_watermark_offsets(tp, timeout=METADATA_TIMEOUT_S)
        total += max(0, high - low)
    return total


def copy_topics(
    bootstrap: str, pairs: Sequence[tuple[str, str]], group: str, echo: Callable[[str], None]
) -> int:
    """Copy every message of each source topic to the same partition of its target, in order; return how
    many. The targets must exist with the sources' partition counts."""
    from confluent_kafka import OFFSET_BEGINNING, Producer

    reader = consumer(bootstrap, group, **{"enable.partition.eof": False})
    producer = Producer(producer_config(bootstrap, "warmcity-bench-copy", **{"linger.ms": 20}))
    copied, started = 0, time.monotonic()
    try:
        targets = dict(pairs)
        assigned = partitions_of(reader, [source for source, _ in pairs], OFFSET_BEGINNING)
        ends = {}
        for tp in assigned:
            _, high = reader.get_watermark_offsets(tp, timeout=METADATA_TIMEOUT_S)
            if high > 0:
                ends[(tp.topic, tp.partition)] = high
        reader.assign([tp for tp in assigned if (tp.topic, tp.partition) in ends])
        remaining = set(ends)
        deadline = time.monotonic() + 600
        while remaining and time.monotonic() < deadline:
            for message in reader.consume(num_messages=COPY_BATCH, timeout=1.0):
                if message.error() is not None:
                    continue
                where = (message.topic(), message.partition())
                _produce(producer, targets[where[0]], where[1], message.key(), message.value())
                copied += 1
                if message.offset() + 1 >= ends[where]:
                    remaining.discard(where)
            producer.poll(0)
        if remaining:
            raise RuntimeError(
                f"copy incomplete after 600 s: {len(remaining)} partitions not read to the end"
            )
        undelivered = producer.flush(120)
        if undelivered:
            raise RuntimeError(f"copy: {undelivered} messages not delivered")
    finally:
        reader.close()
    echo(f"  copied {copied:,} messages in {time.monotonic() - started:.1f} s")
    return copied


def _produce(producer: Any, topic: str, partition: int, key: bytes | None, value: bytes | None) -> None:
    while True:
        try:
            producer.produce(topic, key=key, value=value, partition=partition)
            return
        except BufferError:
            producer.poll(0.1)


def delete_groups(bootstrap: str, prefix: str, wait_s: float = 30.0) -> list[str]:
    """Delete the consumer groups whose id starts with ``prefix``; return their ids.

    A group whose members are still leaving (a worker that just stopped) cannot be deleted yet: those
    are retried every second for up to ``wait_s``; what is left after that is logged, not raised."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})
    listed = admin.list_consumer_groups(request_timeout=METADATA_TIMEOUT_S).result()
    ids = [g.group_id for g in listed.valid if g.group_id.startswith(prefix)]
    pending, deadline = list(ids), time.monotonic() + wait_s
    while pending:
        failed = []
        for group, future in admin.delete_consumer_groups(
            pending, request_timeout=METADATA_TIMEOUT_S
        ).items():
            try:
                future.result()
            except Exception:  # still has members, or the coordinator is busy: try again
                failed.append(group)
        pending = failed
        if pending and time.monotonic() >= deadline:
            log.warning("consumer groups not deleted after %.0f s: %s", wait_s, ", ".join(pending))
            break
        if pending:
            time.sleep(1.0)
    return ids
