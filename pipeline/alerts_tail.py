"""Follow the alerts topic: a consumer outside any committed group, yielding parsed alerts.

Used by ``warmcity alerts tail`` and by the demo. It never commits offsets, so operators tailing alerts
never disturb each other or the workers.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

from pydantic import ValidationError

from pipeline.contracts import Alert

log = logging.getLogger(__name__)


class AlertTail:
    def __init__(self, bootstrap: str, topic: str, from_beginning: bool = False) -> None:
        from confluent_kafka import Consumer

        self.topic = topic
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"alerts-tail-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest" if from_beginning else "latest",
            }
        )
        self._consumer.subscribe([topic])
        self.undecodable = 0

    def poll(self, timeout_s: float) -> Iterator[Alert]:
        """Alerts that arrive within ``timeout_s`` (possibly none)."""
        for message in self._consumer.consume(num_messages=500, timeout=timeout_s):
            if message.error():
                log.warning("alerts topic: %s", message.error())
                continue
            try:
                yield Alert.model_validate_json(message.value() or b"")
            except (ValidationError, ValueError, TypeError):
                self.undecodable += 1

    def close(self) -> None:
        self._consumer.close()
