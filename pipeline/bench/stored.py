"""What a phase has finished, read from where it ends up: event rows in ClickHouse and dead letters on
Kafka. The same count for every phase that writes (a', b, c), so they are measured alike."""

from __future__ import annotations

import time
from typing import Any

from pipeline.bench.kafka_io import consumer, partitions_of

EVENT_TABLES = ("plate_reads", "device_events")
TABLES = (*EVENT_TABLES, "alerts")
RETRIES = 10


class StoredCounter:
    """Counts in one phase's database and dead-letter topic; ``close()`` when done."""

    def __init__(self, client: Any, bootstrap: str, dead_letter_topic: str, group: str) -> None:
        self._client = client
        self._kafka = consumer(bootstrap, group)
        self._dead_letter = partitions_of(self._kafka, [dead_letter_topic])

    def rows(self, table: str) -> int:
        return int(self._client.execute(f"SELECT count() FROM {table}")[0][0])

    def unique(self, table: str, column: str = "event_id") -> int:
        return int(self._client.execute(f"SELECT uniqExact({column}) FROM {table}")[0][0])

    def dead_letters(self) -> int:
        from confluent_kafka import KafkaException

        for attempt in range(RETRIES):
            try:
                total = 0
                for tp in self._dead_letter:
                    low, high = self._kafka.get_watermark_offsets(tp, timeout=10, cached=False)
                    total += max(0, high - low)
                return total
            except KafkaException:  # a topic created moments ago may not have its leader known yet
                if attempt == RETRIES - 1:
                    raise
                time.sleep(0.5)
        raise AssertionError("unreachable")  # pragma: no cover

    def finished(self) -> int:
        """Event rows (copies included) plus dead letters: cheap, polled while a phase runs."""
        return sum(self.rows(table) for table in EVENT_TABLES) + self.dead_letters()

    def processed(self) -> int:
        """Distinct events stored plus dead letters: what the phase provably did with the workload."""
        return sum(self.unique(table) for table in EVENT_TABLES) + self.dead_letters()

    def outputs(self) -> dict[str, int]:
        found = {f"rows.{table}": self.rows(table) for table in TABLES}
        found |= {f"unique.{table}": self.unique(table) for table in EVENT_TABLES}
        found["unique.alerts"] = self.unique("alerts", "alert_id")
        found["dead_letters"] = self.dead_letters()
        return found

    def close(self) -> None:
        self._kafka.close()
        self._client.disconnect()
