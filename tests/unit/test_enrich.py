from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import pytest

from pipeline.contracts import DeviceFamily, DeviceRecord, EnrichedEvent, PlateRead, PlateWatchEntry
from pipeline.errors import InvalidEvent, RejectReason
from pipeline.stages.enrich import enrich_event
from pipeline.stages.validate import validate_plate_read
from tests.unit.factories import EVENT_TIME, PLACE, device, plate_read_bytes, watch_entry


def enrich_plate_read(
    read: PlateRead, devices: Mapping[str, DeviceRecord], watchlist: Mapping[str, PlateWatchEntry]
) -> EnrichedEvent:
    return enrich_event(read, DeviceFamily.VEHICLE_CHECKPOINT, devices, watchlist, {})


NOW = EVENT_TIME + timedelta(seconds=1)


def test_enrich_attaches_place_ring_and_watch_flag() -> None:
    read = validate_plate_read(plate_read_bytes())
    enriched = enrich_plate_read(read, {"KK-DS-0001": device(ring="city")}, {"蒙K12345": watch_entry()})
    assert enriched.place == PLACE
    assert enriched.ring == "city"
    assert enriched.watchlisted is True


def test_device_of_another_family_is_rejected() -> None:
    read = validate_plate_read(plate_read_bytes())
    with pytest.raises(InvalidEvent) as caught:
        enrich_plate_read(read, {"KK-DS-0001": device(family=DeviceFamily.CAMERA)}, {})
    assert caught.value.reason is RejectReason.WRONG_FAMILY
    assert "registered as camera" in caught.value.detail


def test_unknown_device_is_rejected_with_its_id() -> None:
    read = validate_plate_read(plate_read_bytes(device_id="KK-XX-9999"))
    with pytest.raises(InvalidEvent) as caught:
        enrich_plate_read(read, {"KK-DS-0001": device()}, {})
    assert caught.value.reason is RejectReason.UNKNOWN_DEVICE
    assert "KK-XX-9999" in caught.value.detail


def test_plate_not_watched_is_not_flagged() -> None:
    read = validate_plate_read(plate_read_bytes(plate="蒙K99999"))
    enriched = enrich_plate_read(read, {"KK-DS-0001": device()}, {"蒙K12345": watch_entry()})
    assert enriched.watchlisted is False


def test_expired_entry_no_longer_matches() -> None:
    watchlist = {"蒙K12345": watch_entry(expires_at=EVENT_TIME - timedelta(minutes=1))}
    read = validate_plate_read(plate_read_bytes())
    enriched = enrich_plate_read(read, {"KK-DS-0001": device()}, watchlist)
    assert enriched.watchlisted is False
