"""Steady mixed traffic for the fault tests: every event type of every family, sent from a thread.

Each event gets its own id and is timed when it is sent. The generator remembers every id it sent, and
which ClickHouse table should hold it, so a test can compare "sent" with "stored" id by id. Delivery is
Kafka's: an idempotent producer with ``acks=all`` and a long message timeout, so a broker restart delays
messages but does not lose them. A message that still fails is recorded in ``failures``, never ignored.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import cycle
from typing import Any

import orjson
from confluent_kafka import KafkaError, Message, Producer

from pipeline.contracts import DeviceFamily
from pipeline.contracts.examples import EXAMPLES
from pipeline.contracts.families import FAMILIES, schema_name_of
from pipeline.contracts.reference import DeviceRecord
from pipeline.topics import Topics
from tests.integration.helpers import produce
from tests.unit.factories import device

# Half of the traffic is plate reads, as in the city; the rest cycles over the other event types.
_PLATE_SHARE = 2


def _templates() -> list[tuple[DeviceFamily, dict[str, Any]]]:
    others = [
        (family, dict(EXAMPLES[schema_name_of(event_type)]))
        for family, contract in FAMILIES.items()
        if family is not DeviceFamily.VEHICLE_CHECKPOINT
        for event_type in contract.event_types
    ]
    plate = (DeviceFamily.VEHICLE_CHECKPOINT, dict(EXAMPLES["plate_read"]))
    mix: list[tuple[DeviceFamily, dict[str, Any]]] = []
    for other in others:
        mix.extend([plate] * (_PLATE_SHARE - 1))
        mix.append(other)
    return mix


def registry() -> list[DeviceRecord]:
    """One registered device per template, with a site, so every event is accepted."""
    seen: dict[str, DeviceRecord] = {}
    for family, template in _templates():
        seen.setdefault(
            template["device_id"], device(template["device_id"], family=family, site_id="SITE-01")
        )
    return list(seen.values())


def publish_registry(bootstrap: str, topics: Topics) -> None:
    produce(
        bootstrap,
        topics.ref_devices,
        [(record.device_id.encode(), record.model_dump_json().encode()) for record in registry()],
    )


@dataclass
class MixedLoad:
    """``total`` events at ``rate`` events/s, started with ``start()``; ``wait()`` flushes and checks."""

    bootstrap: str
    topics: Topics
    total: int
    rate: float
    plate_ids: set[str] = field(default_factory=set)
    other_ids: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    _thread: threading.Thread | None = None
    _sent: int = 0

    @property
    def sent(self) -> int:
        return self._sent

    def start(self) -> MixedLoad:
        self._thread = threading.Thread(target=self._run, name="mixed-load", daemon=True)
        self._thread.start()
        return self

    def wait(self, timeout_s: float = 300) -> None:
        """Until every event was sent and acknowledged by Kafka; fails on any delivery failure."""
        assert self._thread is not None, "start() first"
        self._thread.join(timeout_s)
        assert not self._thread.is_alive(), f"load still sending after {timeout_s:.0f} s ({self._sent} sent)"
        assert not self.failures, f"{len(self.failures)} events not delivered: {self.failures[:3]}"
        assert len(self.plate_ids) + len(self.other_ids) == self.total

    def _events(self) -> Iterator[tuple[DeviceFamily, dict[str, Any]]]:
        for family, template in cycle(_templates()):
            yield family, {**template, "event_id": f"ld-{uuid.uuid4().hex}"}

    def _on_delivery(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self.failures.append(f"{message.topic()}: {error}")

    def _run(self) -> None:
        producer = Producer(
            {
                "bootstrap.servers": self.bootstrap,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 5,
                "message.timeout.ms": 240_000,
                "reconnect.backoff.max.ms": 1000,
            }
        )
        started = time.monotonic()
        events = self._events()
        while self._sent < self.total:
            due = min(self.total, int((time.monotonic() - started) * self.rate) + 1)
            while self._sent < due:
                family, event = next(events)
                event["event_time"] = datetime.now(UTC).isoformat(timespec="milliseconds")
                ids = self.plate_ids if family is DeviceFamily.VEHICLE_CHECKPOINT else self.other_ids
                ids.add(event["event_id"])
                self._send(producer, family, event)
                self._sent += 1
            producer.poll(0)
            time.sleep(0.005)
        remaining = producer.flush(300)
        if remaining:
            self.failures.append(f"{remaining} events still queued in the producer after 300 s")

    def _send(self, producer: Producer, family: DeviceFamily, event: dict[str, Any]) -> None:
        while True:
            try:
                producer.produce(
                    self.topics.raw(family),
                    key=event["device_id"].encode(),
                    value=orjson.dumps(event),
                    on_delivery=self._on_delivery,
                )
                return
            except BufferError:  # the local queue is full (the broker is away): wait, never drop
                producer.poll(0.1)
