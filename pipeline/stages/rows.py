"""Row mapping for ClickHouse: contracts in, tuples in the column order of the tables in schemas/clickhouse.

Every column is derived from the event itself or from its enrichment, never from the time of insertion
alone, so a replayed event produces the same sorting key and collapses with its first copy.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from pipeline.contracts import Alert, EnrichedEvent, PlateRead
from pipeline.stages.enrich import person_tokens, plate_of

PLATE_READ_COLUMNS = (
    "event_id", "event_time", "event_ms", "device_id", "plate", "plate_colour", "direction", "lane",
    "speed_kmh", "vehicle_class", "confidence", "district", "patrol_area", "grid_cell", "station", "ring",
    "lat", "lon", "watchlisted",
)  # fmt: skip

DEVICE_EVENT_COLUMNS = (
    "event_id", "family", "schema", "event_time", "event_ms", "device_id", "subtype", "site_id",
    "district", "patrol_area", "grid_cell", "station", "lat", "lon", "subject_token", "plate", "zone_id",
    "watchlisted", "payload",
)  # fmt: skip

ALERT_COLUMNS = (
    "alert_id", "rule", "severity", "subject", "device_id", "district", "patrol_area", "grid_cell",
    "station", "summary", "evidence_event_ids", "first_seen", "last_seen", "raised_at", "count", "state",
    "version", "updated_at", "escalated", "acknowledged_by", "resolved_by", "note",
)  # fmt: skip


def _naive_utc(moment: datetime) -> datetime:
    # The columns are DateTime('UTC'): clickhouse-driver reads naive values in the column's zone.
    return moment.replace(tzinfo=None, microsecond=0)


def plate_read_row(enriched: EnrichedEvent) -> tuple[Any, ...]:
    read, place = enriched.event, enriched.place
    if not isinstance(read, PlateRead):
        raise TypeError(f"plate_reads holds plate reads, not {read.schema_name}")
    return (
        read.event_id,
        _naive_utc(read.event_time),
        read.event_time.microsecond // 1000,
        read.device_id,
        read.plate,
        read.plate_colour.value,
        read.direction.value,
        read.lane,
        read.speed_kmh,
        read.vehicle_class.value,
        read.confidence,
        place.district,
        place.patrol_area,
        place.grid_cell,
        place.station,
        enriched.ring or "",
        place.lat,
        place.lon,
        int(enriched.watchlisted),
    )


def device_event_row(enriched: EnrichedEvent) -> tuple[Any, ...]:
    """The wide row of any family: common columns, the subject, and the (pseudonymised) event as JSON."""
    event, place = enriched.event, enriched.place
    tokens = person_tokens(event)
    return (
        event.event_id,
        enriched.family.value,
        event.schema_name,
        _naive_utc(event.event_time),
        event.event_time.microsecond // 1000,
        event.device_id,
        enriched.subtype or "",
        enriched.site_id or "",
        place.district,
        place.patrol_area,
        place.grid_cell,
        place.station,
        place.lat,
        place.lon,
        tokens[0] if tokens else "",
        plate_of(event) or "",
        (getattr(event, "zone_id", None) if "zone_id" in type(event).model_fields else None) or "",
        int(enriched.watchlisted),
        event.model_dump_json(by_alias=True),
    )


# From an enriched event as the enriched topic carries it (JSON, already validated by the intake): the
# sink's rows without building the models again. The same columns as the functions above, which a test
# checks event type by event type.


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def plate_read_row_of(document: dict[str, Any]) -> tuple[Any, ...]:
    read, place = document["event"], document["place"]
    if read.get("schema") != "plate_read":
        raise TypeError(f"plate_reads holds plate reads, not {read.get('schema')}")
    moment = _moment(read["event_time"])
    return (
        read["event_id"],
        _naive_utc(moment),
        moment.microsecond // 1000,
        read["device_id"],
        read["plate"],
        read["plate_colour"],
        read["direction"],
        read["lane"],
        read["speed_kmh"],
        read["vehicle_class"],
        read["confidence"],
        place["district"],
        place["patrol_area"],
        place["grid_cell"],
        place["station"],
        document.get("ring") or "",
        place["lat"],
        place["lon"],
        int(document.get("watchlisted", False)),
    )


def device_event_row_of(document: dict[str, Any]) -> tuple[Any, ...]:
    event, place = document["event"], document["place"]
    moment = _moment(event["event_time"])
    person_fields = _person_fields(event["schema"])
    tokens = [value for name in person_fields if isinstance(value := event.get(name), str)]
    plate = event.get("plate")
    return (
        event["event_id"],
        document["family"],
        event["schema"],
        _naive_utc(moment),
        moment.microsecond // 1000,
        event["device_id"],
        document.get("subtype") or "",
        document.get("site_id") or "",
        place["district"],
        place["patrol_area"],
        place["grid_cell"],
        place["station"],
        place["lat"],
        place["lon"],
        tokens[0] if tokens else "",
        plate if isinstance(plate, str) else "",
        event.get("zone_id") or "",
        int(document.get("watchlisted", False)),
        orjson.dumps(event).decode(),
    )


def _person_fields(schema: str) -> tuple[str, ...]:
    from pipeline.contracts.families import EVENT_TYPES

    event_type = EVENT_TYPES.get(schema)
    return event_type.PERSON_FIELDS if event_type is not None else ()


def alert_row(alert: Alert) -> tuple[Any, ...]:
    place = alert.place
    return (
        alert.alert_id,
        alert.rule,
        alert.severity.value,
        alert.subject,
        alert.device_id,
        place.district if place else "",
        place.patrol_area if place else "",
        place.grid_cell if place else "",
        place.station if place else "",
        alert.summary,
        list(alert.evidence_event_ids),
        _naive_utc(alert.first_seen),
        _naive_utc(alert.last_seen),
        _naive_utc(alert.raised_at),
        alert.count,
        alert.state.value,
        alert.version,
        _naive_utc(alert.updated_at or alert.raised_at),
        int(alert.escalated),
        alert.acknowledged_by or "",
        alert.resolved_by or "",
        alert.note or "",
    )
