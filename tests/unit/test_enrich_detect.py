from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import pytest

from pipeline.contracts import DeviceFamily, DeviceRecord, EnrichedEvent, PlateRead, PlateWatchEntry, Severity
from pipeline.errors import InvalidEvent, RejectReason
from pipeline.stages.detect import WATCHLIST_PLATE_RULE, alert_id_for, detect_watchlisted_plate
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


def test_plate_not_watched_raises_no_alert() -> None:
    read = validate_plate_read(plate_read_bytes(plate="蒙K99999"))
    enriched = enrich_plate_read(read, {"KK-DS-0001": device()}, {"蒙K12345": watch_entry()})
    assert enriched.watchlisted is False
    assert detect_watchlisted_plate(enriched, {"蒙K12345": watch_entry()}, NOW) is None


@pytest.mark.parametrize(
    ("priority", "ring", "severity"),
    [
        (1, None, Severity.CRITICAL),
        (2, None, Severity.HIGH),
        (2, "city", Severity.CRITICAL),
        (3, "banner", Severity.HIGH),
        (4, None, Severity.LOW),
        (1, "core", Severity.CRITICAL),
    ],
)
def test_watchlisted_plate_alert_severity(priority: int, ring: str | None, severity: Severity) -> None:
    watchlist = {"蒙K12345": watch_entry(priority=priority)}
    read = validate_plate_read(plate_read_bytes())
    alert = detect_watchlisted_plate(
        enrich_plate_read(read, {"KK-DS-0001": device(ring=ring)}, watchlist), watchlist, NOW
    )
    assert alert is not None
    assert alert.severity is severity
    assert alert.rule == WATCHLIST_PLATE_RULE
    assert alert.subject == "蒙K12345"
    assert alert.evidence_event_ids == ("ev-00000001",)
    assert alert.place == PLACE
    assert "wanted: robbery suspect" in alert.summary


def test_expired_entry_no_longer_matches() -> None:
    watchlist = {"蒙K12345": watch_entry(expires_at=EVENT_TIME - timedelta(minutes=1))}
    read = validate_plate_read(plate_read_bytes())
    enriched = enrich_plate_read(read, {"KK-DS-0001": device()}, watchlist)
    assert enriched.watchlisted is False
    assert detect_watchlisted_plate(enriched, watchlist, NOW) is None


def test_alert_id_is_stable_for_the_same_evidence() -> None:
    assert alert_id_for("r", "a") == alert_id_for("r", "a")
    assert alert_id_for("r", "a") != alert_id_for("r", "b")
    assert alert_id_for("r", "a") != alert_id_for("s", "a")
