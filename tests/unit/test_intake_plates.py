from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from pipeline.contracts import DeviceFamily, DeviceRecord, PlateWatchEntry
from pipeline.errors import RejectReason
from pipeline.stages.intake import BatchOutcome, IntakeContext, RawMessage, process_batch
from pipeline.stages.rows import ALERT_COLUMNS, PLATE_READ_COLUMNS, alert_row, plate_read_row
from tests.unit.factories import EVENT_TIME, PSEUDONYMISER, device, plate_read_bytes, watch_entry
from tests.unit.test_alerts_view import alert as alert_fixture

NOW = EVENT_TIME + timedelta(seconds=2)


def process_plate_batch(
    messages: Iterable[RawMessage],
    devices: Mapping[str, DeviceRecord],
    watchlist: Mapping[str, PlateWatchEntry],
    now: datetime,
) -> BatchOutcome:
    context = IntakeContext(PSEUDONYMISER, devices, watchlist, {})
    return process_batch(messages, DeviceFamily.VEHICLE_CHECKPOINT, context, now)


def message(offset: int, value: bytes | None, key: bytes | None = b"KK-DS-0001") -> RawMessage:
    return RawMessage("t.raw", 3, offset, key, value)


def test_batch_routes_each_message_and_keeps_good_ones_around_bad_ones() -> None:
    batch = [
        message(10, plate_read_bytes(event_id="ev-00000010", plate="蒙K00001")),
        message(11, b"{broken"),
        message(12, plate_read_bytes(event_id="ev-00000012")),  # watched plate
        message(13, plate_read_bytes(event_id="ev-00000013", device_id="KK-XX-0404")),
        message(14, plate_read_bytes(event_id="ev-00000014", plate="蒙K00002")),
    ]
    outcome = process_plate_batch(batch, {"KK-DS-0001": device()}, {"蒙K12345": watch_entry()}, NOW)

    assert [e.event.event_id for e in outcome.enriched] == ["ev-00000010", "ev-00000012", "ev-00000014"]
    assert [e.watchlisted for e in outcome.enriched] == [False, True, False]
    assert [(d.reason, d.origin.offset) for d in outcome.dead_letters] == [
        (RejectReason.NOT_JSON, 11),
        (RejectReason.UNKNOWN_DEVICE, 13),
    ]
    broken = outcome.dead_letters[0]
    assert broken.origin.topic == "t.raw"
    assert broken.origin.partition == 3
    assert broken.key == "KK-DS-0001"
    assert base64.b64decode(broken.payload_b64) == b"{broken"


def test_rows_follow_the_column_lists() -> None:
    outcome = process_plate_batch(
        [message(1, plate_read_bytes())],
        {"KK-DS-0001": device(ring="core")},
        {"蒙K12345": watch_entry()},
        NOW,
    )
    row = dict(zip(PLATE_READ_COLUMNS, plate_read_row(outcome.enriched[0]), strict=True))
    assert row["event_time"] == EVENT_TIME.replace(tzinfo=None, microsecond=0)
    assert row["event_ms"] == 250
    assert row["district"] == "Dongsheng"
    assert row["ring"] == "core"
    assert row["watchlisted"] == 1


def test_alert_rows_follow_the_column_list() -> None:
    alert = dict(zip(ALERT_COLUMNS, alert_row(alert_fixture(count=3, version=4)), strict=True))
    assert alert["evidence_event_ids"] == ["ev-1"]
    assert (alert["severity"], alert["state"], alert["count"], alert["version"]) == ("high", "open", 3, 4)
    assert alert["raised_at"] == (EVENT_TIME + timedelta(seconds=1)).replace(tzinfo=None, microsecond=0)
