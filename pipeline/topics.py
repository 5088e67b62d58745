"""The project's Kafka topics: names, partitions and cleanup policy, created explicitly (never auto-created).

Faust only declares its own internal topics; every topic below is created by ``warmcity topics create``
(or ``ensure_topics``) with an explicit partition count, so a table never meets a ``PartitionsMismatch``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from pipeline.contracts.reference import DeviceFamily
from pipeline.settings import KafkaSettings

SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000

REFERENCE_TOPICS = (
    "devices",  # DeviceRecord by device_id
    "sites",  # Site by site_id
    "crowd_zones",  # CrowdZone by zone_id
    "depots",  # DepotRecord by depot_id
    "permits",  # TransportPermit by permit_id
    "grid_cells",  # GridCellRecord by grid_cell_id
    "watchlist.plates",  # PlateWatchEntry by plate
    "watchlist.persons",  # PersonWatchEntry by subject token
)


WORKER_TABLES = (
    "rule_state",  # per rule and rule key: the state detection rules keep (fed by the detect topic)
    "alert_book",  # per alert key: the alert of one rule and subject (fed by detections and actions)
)


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

    def raw(self, family: DeviceFamily) -> str:
        """Where devices of ``family`` publish, keyed by device_id."""
        return f"{self.prefix}.raw.{family.value}"

    def enriched(self, family: DeviceFamily) -> str:
        """Validated, pseudonymised, placed events of ``family``; what the ClickHouse sink reads."""
        return f"{self.prefix}.enriched.{family.value}"

    @property
    def raw_plate_reads(self) -> str:
        return self.raw(DeviceFamily.VEHICLE_CHECKPOINT)

    @property
    def enriched_plate_reads(self) -> str:
        return self.enriched(DeviceFamily.VEHICLE_CHECKPOINT)

    @property
    def alerts(self) -> str:
        return f"{self.prefix}.alerts"

    @property
    def dead_letter(self) -> str:
        return f"{self.prefix}.deadletter"

    @property
    def alert_actions(self) -> str:
        """Operators' acknowledgements and resolutions, keyed by the alert's key (``alerting.book``)."""
        return f"{self.prefix}.alerts.actions"

    @property
    def detect(self) -> str:
        """Enriched events repartitioned by rule and rule key, so one worker owns each key's state."""
        return f"{self.prefix}.detect"

    @property
    def detections(self) -> str:
        """Rules' detections repartitioned by alert key, co-partitioned with ``alert_actions``."""
        return f"{self.prefix}.detections"

    def changelog(self, app_id: str, table: str) -> str:
        """The changelog Faust expects for ``table`` of app ``app_id``; created here, never by Faust."""
        return f"{self.prefix}-{app_id}-{table}-changelog"

    def reference(self, name: str) -> str:
        """A compacted reference topic: one of ``REFERENCE_TOPICS``."""
        if name not in REFERENCE_TOPICS:
            raise ValueError(f"unknown reference topic {name!r}; known: {', '.join(REFERENCE_TOPICS)}")
        return f"{self.prefix}.ref.{name}"

    @property
    def ref_devices(self) -> str:
        return self.reference("devices")

    @property
    def ref_plate_watchlist(self) -> str:
        return self.reference("watchlist.plates")

    def specs(self, app_id: str = "worker") -> list[TopicSpec]:
        """Every topic, including the changelogs of the tables of the worker app ``app_id``."""
        families = list(DeviceFamily)
        stream = [self.raw(f) for f in families] + [self.enriched(f) for f in families]
        stream += [self.alerts, self.dead_letter, self.alert_actions, self.detect, self.detections]
        reference = [self.reference(name) for name in REFERENCE_TOPICS]
        # A table's changelog must have the partitions of the stream that feeds the table.
        changelogs = [self.changelog(app_id, table) for table in WORKER_TABLES]
        return (
            [TopicSpec(name, self.partitions) for name in stream]
            + [TopicSpec(name, self.partitions, "compact") for name in changelogs]
            + [TopicSpec(name, self.reference_partitions, "compact") for name in reference]
        )


def ensure_topics(bootstrap: str, specs: Iterable[TopicSpec], timeout_s: float = 30.0) -> list[str]:
    """Create the topics that do not exist yet and return their names; existing ones are left as they are."""
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
    _wait_visible(admin, [spec.name for spec in missing], timeout_s)
    return created


def _wait_visible(admin: AdminClient, names: list[str], timeout_s: float) -> None:
    """Until the broker's metadata lists every topic with its partitions led: a producer or consumer
    started right after creation would otherwise be told the topic does not exist."""
    deadline = time.monotonic() + timeout_s
    while True:
        topics = admin.list_topics(timeout=timeout_s).topics
        pending = [n for n in names if n not in topics or topics[n].error is not None
                   or any(p.leader < 0 for p in topics[n].partitions.values())]  # fmt: skip
        if not pending:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics not visible after {timeout_s:.0f} s: {', '.join(pending)}")
        time.sleep(0.2)


def delete_topics(bootstrap: str, prefix: str, timeout_s: float = 30.0) -> list[str]:
    """Delete every topic named with ``prefix`` (a run's or a test's own); return the names deleted."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    names = [
        n for n in admin.list_topics(timeout=timeout_s).topics if n.startswith((f"{prefix}.", f"{prefix}-"))
    ]
    if names:
        for future in admin.delete_topics(names, operation_timeout=timeout_s).values():
            future.result()
    return names
