"""Row mapping for ClickHouse: contracts in, tuples in the column order of the tables in schemas/clickhouse.

Every column is derived from the event itself or from its enrichment, never from the time of insertion
alone, so a replayed event produces the same sorting key and collapses with its first copy.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.contracts import Alert, EnrichedPlateRead

PLATE_READ_COLUMNS = (
    "event_id", "event_time", "event_ms", "device_id", "plate", "plate_colour", "direction", "lane",
    "speed_kmh", "vehicle_class", "confidence", "district", "patrol_area", "grid_cell", "station", "ring",
    "lat", "lon", "watchlisted",
)  # fmt: skip

ALERT_COLUMNS = (
    "alert_id", "rule", "severity", "subject", "device_id", "district", "patrol_area", "grid_cell",
    "station", "summary", "evidence_event_ids", "first_seen", "last_seen", "raised_at",
)  # fmt: skip


def _naive_utc(moment: datetime) -> datetime:
    # clickhouse-driver reads naive datetimes in the server's zone unless told otherwise; tables are UTC.
    return moment.replace(tzinfo=None, microsecond=0)


def plate_read_row(enriched: EnrichedPlateRead) -> tuple[Any, ...]:
    read, place = enriched.read, enriched.place
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
    )
