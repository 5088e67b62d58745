"""Small builders of valid contracts for unit tests; each test changes only what it is about."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from pipeline.contracts import DeviceRecord, Place, PlateWatchEntry
from pipeline.contracts.reference import DeviceFamily
from pipeline.stages.privacy import Pseudonymiser

EVENT_TIME = datetime(2026, 12, 1, 8, 30, 15, 250_000, tzinfo=UTC)
DEVICE_ID = "KK-DS-0001"

PLACE = Place(
    district="Dongsheng",
    patrol_area="PA-01",
    grid_cell="GC-0001",
    station="Dongsheng Station",
    lat=39.8,
    lon=110.0,
)


def plate_read_doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema": "plate_read",
        "schema_version": 1,
        "event_id": "ev-00000001",
        "device_id": DEVICE_ID,
        "event_time": EVENT_TIME.isoformat(),
        "plate": "蒙K12345",
        "plate_colour": "blue",
        "direction": "inbound",
        "lane": 2,
        "speed_kmh": 54.0,
        "vehicle_class": "car",
        "confidence": 0.97,
    }
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not ...}


def plate_read_bytes(**changes: Any) -> bytes:
    return orjson.dumps(plate_read_doc(**changes))


TEST_KEY = b"unit-test-hmac-key-0123456789"
PSEUDONYMISER = Pseudonymiser(TEST_KEY)


def device(
    device_id: str = DEVICE_ID,
    ring: str | None = None,
    family: DeviceFamily = DeviceFamily.VEHICLE_CHECKPOINT,
    site_id: str | None = None,
) -> DeviceRecord:
    return DeviceRecord(
        device_id=device_id, family=family, name="G210 north", place=PLACE, ring=ring, site_id=site_id
    )


def watch_entry(plate: str = "蒙K12345", priority: int = 2, **changes: Any) -> PlateWatchEntry:
    return PlateWatchEntry(
        plate=plate, category="wanted", reason="robbery suspect", priority=priority, **changes
    )
