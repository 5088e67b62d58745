"""The project's Kafka topics: names, partitions and cleanup policy, created explicitly (never auto-created).

Faust only declares its own internal topics; every topic below is created by ``warmcity topics create``
(or ``ensure_topics``) with an explicit partition count, so a table never meets a ``PartitionsMismatch``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pipeline.settings import KafkaSettings

SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    cleanup: Literal["delete", "compact"] = "delete"
    retention_ms: int = SEVEN_DAYS_MS

    def config(self) -> dict[str, str]:
        if self.cleanup == "compact":
            return {"cleanup.policy": "compact", "min.compaction.lag.ms": "0", "segment.ms": "600000"}
        return {"cleanup.policy": "delete", "retention.ms": str(self.retention_ms)}


@dataclass(frozen=True)
class Topics:
    """Names of every topic, derived from the prefix so tests and deployments never collide."""

    prefix: str
    partitions: int
    reference_partitions: int

    @classmethod
    def from_settings(cls, kafka: KafkaSettings) -> Topics:
        return cls(kafka.topic_prefix, kafka.partitions, kafka.reference_partitions)

    @property
    def raw_plate_reads(self) -> str:
        return f"{self.prefix}.raw.plate_reads"

    @property
    def enriched_plate_reads(self) -> str:
        return f"{self.prefix}.enriched.plate_reads"

    @property
    def alerts(self) -> str:
        return f"{self.prefix}.alerts"

    @property
    def dead_letter(self) -> str:
        return f"{self.prefix}.deadletter"

    @property
    def ref_devices(self) -> str:
        return f"{self.prefix}.ref.devices"

    @property
    def ref_plate_watchlist(self) -> str:
        return f"{self.prefix}.ref.watchlist.plates"

    def specs(self) -> list[TopicSpec]:
        stream = [self.raw_plate_reads, self.enriched_plate_reads, self.alerts, self.dead_letter]
        reference = [self.ref_devices, self.ref_plate_watchlist]
        return [TopicSpec(name, self.partitions) for name in stream] + [
            TopicSpec(name, self.reference_partitions, "compact") for name in reference
        ]


def ensure_topics(bootstrap: str, specs: Iterable[TopicSpec], timeout_s: float = 30.0) -> list[str]:
    """Create the topics that do not exist yet and return their names; existing ones are left as they are."""
    from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

    admin = AdminClient({"bootstrap.servers": bootstrap})
    existing = set(admin.list_topics(timeout=timeout_s).topics)
    missing = [spec for spec in specs if spec.name not in existing]
    if not missing:
        return []
    futures = admin.create_topics(
        [
            NewTopic(s.name, num_partitions=s.partitions, replication_factor=1, config=s.config())
            for s in missing
        ],
        request_timeout=timeout_s,
    )
    created: list[str] = []
    for name, future in futures.items():
        try:
            future.result()
            created.append(name)
        except Exception as exc:  # a concurrent creator is fine; anything else is not
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise
    return created
