"""A small set of events for the analyst tables (migration 0005), and exactly what each view must show.

Shared by ``tests/unit/test_migrations_chdb.py`` (ClickHouse 26.x in process) and
``tests/integration/test_storage_analyst_tables.py`` (Debian's 18.16), so both servers are held to the
same figures. Events are built from the real contracts and mapped with ``pipeline/stages/rows.py``, as the
sink does. ``REPLAYED_*`` are inserted a second time; no figure may change.

Times lie in the two hours from ``BASE`` (the start of the hour three hours ago, UTC): recent enough for a
400-day TTL, and on known hour boundaries. Every query returns strings (``toString`` where a value is not
text), so rows read through chDB's TSV and through clickhouse-driver compare equal.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.contracts.enriched import EnrichedEvent
from pipeline.stages.rows import DEVICE_EVENT_COLUMNS, PLATE_READ_COLUMNS, device_event_row, plate_read_row
from tests.unit import rule_factories as f

BASE = (datetime.now(UTC) - timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)


def at(minutes: int, seconds: int = 0) -> datetime:
    return BASE + timedelta(minutes=minutes, seconds=seconds)


def ts(minutes: int, seconds: int = 0) -> str:
    return at(minutes, seconds).strftime("%Y-%m-%d %H:%M:%S")


H0, H1 = ts(0), ts(60)
INNER = "inner"


def _read(event_id: str, plate: str, minutes: int, seconds: int, device: str, speed: float) -> EnrichedEvent:
    read = f.plate_read(plate, at(minutes, seconds), device, ring=INNER if device.endswith("1") else None)
    event = read.event.model_copy(update={"event_id": event_id, "speed_kmh": speed})
    return read.model_copy(update={"event": event})


P1 = _read("pr-00001", "蒙K00001", 5, 0, "KK-KB-0001", 60.0).model_copy(update={"watchlisted": True})
P2 = _read("pr-00002", "蒙K00001", 20, 10, "KK-KB-0001", 82.5)
P3 = _read("pr-00003", "蒙K00002", 20, 40, "KK-KB-0001", 45.0)  # same minute as P2
P4 = _read("pr-00004", "蒙K00002", 70, 0, "KK-KB-0002", 50.0)  # next hour, other checkpoint, no ring

H_1 = f.heartbeat(at(1), "CAM-KB-0001", "hb-00001").model_copy(update={"subtype": "dome"})
H_2 = f.heartbeat(at(2), "CAM-KB-0001", "hb-00002").model_copy(update={"subtype": "dome"})
C1 = f.crowd_count(500, at(10)).model_copy(update={"subtype": "bullet"})
C2 = f.crowd_count(900, at(30)).model_copy(update={"subtype": "bullet"})
C3 = f.crowd_count(700, at(40)).model_copy(update={"subtype": "bullet"})
I1 = f.id_check(f.token(1), when=at(15)).model_copy(update={"watchlisted": True})
I2 = f.id_check(f.token(1), when=at(75))
A1 = f.person_access(when=at(16))

PLATE_READS = [P1, P2, P3, P4]
DEVICE_EVENTS = [H_1, H_2, C1, C2, C3, I1, I2, A1]
REPLAYED_PLATE_READS = [P1, P2]
REPLAYED_DEVICE_EVENTS = [H_2, C2, I1]

STORED_COPIES = {
    "plate_reads": len(PLATE_READS) + len(REPLAYED_PLATE_READS),
    "device_events": len(DEVICE_EVENTS) + len(REPLAYED_DEVICE_EVENTS),
}
"""Rows in the source tables after the replays, while merges are stopped (the duplicates are there)."""


def plate_rows(events: list[EnrichedEvent]) -> list[tuple[Any, ...]]:
    return [plate_read_row(e) for e in events]


def device_rows(events: list[EnrichedEvent]) -> list[tuple[Any, ...]]:
    return [device_event_row(e) for e in events]


INSERTS = {
    "plate_reads": (PLATE_READ_COLUMNS, plate_rows),
    "device_events": (DEVICE_EVENT_COLUMNS, device_rows),
}

_PLACE = ("Kangbashi", "GC-0016")
_IDG, _COM = "IDG-RS-KB-01-01", "CM-KB-01-PG1"

EXPECTED: dict[str, tuple[str, list[tuple[str, ...]]]] = {
    "plate_reads_dedup": (
        "SELECT event_id, plate, device_id, toString(event_time) FROM plate_reads_dedup ORDER BY event_id",
        [
            ("pr-00001", "蒙K00001", "KK-KB-0001", ts(5)),
            ("pr-00002", "蒙K00001", "KK-KB-0001", ts(20, 10)),
            ("pr-00003", "蒙K00002", "KK-KB-0001", ts(20, 40)),
            ("pr-00004", "蒙K00002", "KK-KB-0002", ts(70)),
        ],
    ),
    "device_events_dedup": (
        "SELECT family, schema, toString(count()), toString(uniqExact(event_id)) FROM device_events_dedup "
        "GROUP BY family, schema ORDER BY family, schema",
        [
            ("camera", "camera_heartbeat", "2", "2"),
            ("camera", "crowd_count", "3", "3"),
            ("community", "person_access", "1", "1"),
            ("id_gate", "id_verification", "2", "2"),
        ],
    ),
    "plate_reads_by_plate_dedup": (
        "SELECT plate, event_id, ring, toString(watchlisted) FROM plate_reads_by_plate_dedup "
        "ORDER BY plate, event_time, event_id",
        [
            ("蒙K00001", "pr-00001", INNER, "1"),
            ("蒙K00001", "pr-00002", INNER, "0"),
            ("蒙K00002", "pr-00003", INNER, "0"),
            ("蒙K00002", "pr-00004", "", "0"),
        ],
    ),
    "device_events_by_subject_dedup": (
        "SELECT subject_token, family, schema, toString(event_time) FROM device_events_by_subject_dedup "
        "ORDER BY subject_token, event_time",
        [
            (f.token(1), "id_gate", "id_verification", ts(15)),
            (f.token(1), "id_gate", "id_verification", ts(75)),
            (f.token(40), "community", "person_access", ts(16)),
        ],
    ),
    "cell_hourly_totals": (
        "SELECT toString(hour), family, district, grid_cell, toString(events), toString(watchlisted), "
        "toString(devices) FROM cell_hourly_totals ORDER BY hour, family",
        [
            (H0, "camera", *_PLACE, "5", "0", "2"),
            (H0, "community", *_PLACE, "1", "0", "1"),
            (H0, "id_gate", *_PLACE, "1", "1", "1"),
            (H0, "vehicle_checkpoint", *_PLACE, "3", "1", "1"),
            (H1, "id_gate", *_PLACE, "1", "0", "1"),
            (H1, "vehicle_checkpoint", *_PLACE, "1", "0", "1"),
        ],
    ),
    "family_hourly_totals": (
        "SELECT toString(hour), family, toString(events), toString(watchlisted), toString(devices) "
        "FROM family_hourly_totals ORDER BY hour, family",
        [
            (H0, "camera", "5", "0", "2"),
            (H0, "community", "1", "0", "1"),
            (H0, "id_gate", "1", "1", "1"),
            (H0, "vehicle_checkpoint", "3", "1", "1"),
            (H1, "id_gate", "1", "0", "1"),
            (H1, "vehicle_checkpoint", "1", "0", "1"),
        ],
    ),
    "checkpoint_hourly_totals": (
        "SELECT toString(hour), device_id, ring, toString(reads), toString(plates), toString(watchlisted), "
        "toString(max_speed_kmh) FROM checkpoint_hourly_totals ORDER BY hour, device_id",
        [
            (H0, "KK-KB-0001", INNER, "3", "2", "1", "82.5"),
            (H1, "KK-KB-0002", "", "1", "1", "0", "50"),
        ],
    ),
    "device_hourly_totals": (
        "SELECT toString(hour), family, device_id, toString(events), toString(active_minutes), "
        "toString(first_seen), toString(last_seen) FROM device_hourly_totals "
        "ORDER BY hour, family, device_id",
        [
            (H0, "camera", "CAM-KB-0001", "2", "2", ts(1), ts(2)),
            (H0, "camera", "CAM-KB-0002", "3", "3", ts(10), ts(40)),
            (H0, "community", _COM, "1", "1", ts(16), ts(16)),
            (H0, "id_gate", _IDG, "1", "1", ts(15), ts(15)),
            (H0, "vehicle_checkpoint", "KK-KB-0001", "3", "2", ts(5), ts(20, 40)),
            (H1, "id_gate", _IDG, "1", "1", ts(75), ts(75)),
            (H1, "vehicle_checkpoint", "KK-KB-0002", "1", "1", ts(70), ts(70)),
        ],
    ),
    "device_status_current": (
        "SELECT family, device_id, toString(last_seen), last_subtype, last_schema FROM device_status_current "
        "ORDER BY family, device_id",
        [
            ("camera", "CAM-KB-0001", ts(2), "dome", "camera_heartbeat"),
            ("camera", "CAM-KB-0002", ts(40), "bullet", "crowd_count"),
            ("community", _COM, ts(16), "", "person_access"),
            ("id_gate", _IDG, ts(75), "", "id_verification"),
            ("vehicle_checkpoint", "KK-KB-0001", ts(20, 40), "plate_read", "plate_read"),
            ("vehicle_checkpoint", "KK-KB-0002", ts(70), "plate_read", "plate_read"),
        ],
    ),
    "crowd_hourly_totals": (
        "SELECT toString(hour), zone_id, device_id, district, grid_cell, toString(peak_count), "
        "toString(peak_at), toString(readings) FROM crowd_hourly_totals ORDER BY hour, zone_id",
        [(H0, "SQ-KB-01-Z1", "CAM-KB-0002", *_PLACE, "900", ts(30), "3")],
    ),
}
"""For each view: a query, and the rows it must return once every event is in, replays included."""
