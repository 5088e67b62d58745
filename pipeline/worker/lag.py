"""How far behind a worker's consumer group is: what the demo and the evaluation wait on."""

from __future__ import annotations

import time
from collections.abc import Sequence


def wait_caught_up(bootstrap: str, group: str, topics: Sequence[str], timeout_s: float) -> bool:
    """True once ``group`` has committed every message of ``topics`` twice in a row (the worker's own
    output topics fill up while its inputs drain); False at the timeout."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ]
        deadline, streak = time.monotonic() + timeout_s, 0
        while time.monotonic() < deadline:
            behind = 0
            for tp in consumer.committed(partitions, timeout=10):
                _, high = consumer.get_watermark_offsets(tp, timeout=10)
                behind += max(0, high - max(tp.offset, 0))
            streak = streak + 1 if behind == 0 else 0
            if streak >= 2:
                return True
            time.sleep(1.0)
        return False
    finally:
        consumer.close()
