from __future__ import annotations

from datetime import UTC

import pytest

from pipeline.errors import InvalidEvent, RejectReason
from pipeline.stages.validate import MAX_MESSAGE_BYTES, validate_plate_read
from tests.unit.factories import EVENT_TIME, plate_read_bytes


def test_valid_read_is_parsed_and_normalised() -> None:
    read = validate_plate_read(
        plate_read_bytes(plate="蒙k 12·345", event_time="2026-12-01T16:30:15.25+08:00")
    )
    assert read.plate == "蒙K12345"
    assert read.event_time == EVENT_TIME
    assert read.event_time.tzinfo is UTC


@pytest.mark.parametrize(
    ("raw", "reason", "detail_part"),
    [
        (None, RejectReason.EMPTY, "no value"),
        (b"", RejectReason.EMPTY, "no value"),
        (b"x" * (MAX_MESSAGE_BYTES + 1), RejectReason.OVERSIZED, "limit"),
        (b'{"plate": "\xff\xfe"}', RejectReason.NOT_UTF8, "byte 11"),
        (b"not json at all", RejectReason.NOT_JSON, ""),
        (plate_read_bytes()[:-9], RejectReason.NOT_JSON, ""),
        (b"[1, 2, 3]", RejectReason.NOT_OBJECT, "list"),
        (plate_read_bytes(speed_kmh="fast"), RejectReason.SCHEMA, "speed_kmh"),
        (plate_read_bytes(speed_kmh=-3), RejectReason.SCHEMA, "speed_kmh"),
        (plate_read_bytes(plate=...), RejectReason.SCHEMA, "plate: Field required"),
        (plate_read_bytes(plate="'; DROP TABLE x"), RejectReason.SCHEMA, "plate"),
        (plate_read_bytes(event_time="2026-12-01T08:00:00"), RejectReason.SCHEMA, "event_time"),
        (plate_read_bytes(schema_version=2), RejectReason.SCHEMA, "schema_version"),
        (plate_read_bytes(device_id="kk ds 1"), RejectReason.SCHEMA, "device_id"),
        (plate_read_bytes(colour_of_sky="blue"), RejectReason.SCHEMA, "colour_of_sky"),
        (plate_read_bytes(lane=0, confidence=2), RejectReason.SCHEMA, "(+1 more)"),
    ],
)
def test_invalid_messages_name_the_reason_and_field(
    raw: bytes | None, reason: RejectReason, detail_part: str
) -> None:
    with pytest.raises(InvalidEvent) as caught:
        validate_plate_read(raw)
    assert caught.value.reason is reason
    assert detail_part in caught.value.detail
