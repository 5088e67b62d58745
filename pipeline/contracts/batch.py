"""The batch envelope: several events of one family in one Kafka message, as a site gateway sends them.

The brief's 1,095 networked checkpoint systems stand in front of 2,798 checkpoints; such a gateway (like
an OTLP exporter) sends what its devices produced in the last 50-100 ms as one message instead of one
message per event. A raw topic accepts both forms: a single event object, or this envelope::

    {"schema": "event_batch", "schema_version": 1, "gateway_id": "GW-0042",
     "events": [{"schema": "plate_read", ...}, {"schema": "plate_read", ...}]}

Every event inside is validated on its own: a bad one is dead-lettered alone (its origin names the
message and the index in ``events``), the others go on. The envelope itself must be sound, or the whole
message is dead-lettered with reason ``bad_batch``. The key of the message should be the gateway id, so
that a device's events keep their order (a device sits behind one gateway). See docs/devices.md.

Internal topics use the same idea without an envelope: a message of the enriched or detect topic is a
JSON array (of ``EnrichedEvent``, of ``pipeline.worker.detection.RuleInput``), and its ``n`` header says
how many items it holds, so a consumer can batch by items without parsing.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

BATCH_SCHEMA = "event_batch"
MAX_BATCH_EVENTS = 5_000
MAX_BATCH_BYTES = 1024 * 1024  # Kafka's default message.max.bytes is about this
COUNT_HEADER = "n"  # on internal batch messages: how many items the JSON array holds


class EventBatch(BaseModel):
    """The envelope's own fields (the events are validated one by one against their family)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_name: Literal["event_batch"] = Field("event_batch", alias="schema")
    schema_version: Literal[1] = 1
    gateway_id: str | None = Field(
        None, pattern=r"^[A-Za-z0-9._:-]{1,64}$", description="Who sent the batch (a site gateway)."
    )
    events: list[Any] = Field(min_length=1, max_length=MAX_BATCH_EVENTS)


def is_batch(document: dict[str, Any]) -> bool:
    return document.get("schema") == BATCH_SCHEMA


def join_json(items: list[bytes]) -> bytes:
    """A JSON array of already-serialised JSON values."""
    return b"[" + b",".join(items) + b"]"


def count_header(n: int) -> dict[str, bytes]:
    return {COUNT_HEADER: str(n).encode()}


def count_of(headers: Any) -> int:
    """The ``n`` header of a message (Faust gives a list of pairs or a mapping); 1 without one."""
    if not headers:
        return 1
    pairs = headers.items() if isinstance(headers, dict) else headers
    for name, value in pairs:
        if name == COUNT_HEADER:
            try:
                return max(1, int(value))
            except (TypeError, ValueError):
                return 1
    return 1
