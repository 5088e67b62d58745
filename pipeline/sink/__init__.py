"""The ClickHouse sink: batched, idempotent inserts that are acknowledged before Kafka offsets move."""
