"""Batch envelopes on raw topics: every event inside is taken on its own; a bad one is dead-lettered alone
with where it was; a malformed envelope is one dead letter; single-event messages still work beside them."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import orjson
import pytest

from pipeline.contracts import DeviceFamily
from pipeline.contracts.batch import MAX_BATCH_EVENTS, count_header, count_of, join_json
from pipeline.errors import InvalidEvent, RejectReason
from pipeline.stages.intake import IntakeContext, RawMessage, process_batch
from pipeline.stages.validate import MAX_MESSAGE_BYTES, decode_message
from tests.unit.factories import EVENT_TIME, PSEUDONYMISER, device, plate_read_doc, watch_entry
from tests.unit.test_intake_plates import NOW, message

DEVICES = {"KK-DS-0001": device()}
CONTEXT = IntakeContext(PSEUDONYMISER, DEVICES, {"蒙K12345": watch_entry()}, {})


def envelope(events: list[Any], **changes: Any) -> bytes:
    document: dict[str, Any] = {"schema": "event_batch", "schema_version": 1, "gateway_id": "GW-0001"}
    document.update({"events": events, **changes})
    return orjson.dumps(document)


def doc(n: int, **changes: Any) -> dict[str, Any]:
    return plate_read_doc(**{"event_id": f"ev-{n:08d}", "plate": f"蒙K{n:05d}", **changes})


def run(*messages: RawMessage) -> Any:
    return process_batch(messages, DeviceFamily.VEHICLE_CHECKPOINT, CONTEXT, NOW)


def test_every_event_of_an_envelope_is_accepted_in_order() -> None:
    outcome = run(message(7, envelope([doc(1), doc(2), doc(3)])))
    assert [e.event.event_id for e in outcome.enriched] == ["ev-00000001", "ev-00000002", "ev-00000003"]
    assert {m.offset for m, _ in outcome.accepted} == {7}
    assert not outcome.dead_letters


def test_envelopes_and_single_events_mix_in_one_batch() -> None:
    outcome = run(
        message(1, orjson.dumps(doc(1))),
        message(2, envelope([doc(2), doc(3)])),
        message(3, orjson.dumps(doc(4))),
    )
    assert [e.event.event_id for e in outcome.enriched] == [f"ev-{n:08d}" for n in (1, 2, 3, 4)]


def test_a_bad_event_in_an_envelope_is_dead_lettered_alone_with_its_index() -> None:
    bad_schema = doc(2, speed_kmh="fast")
    unknown = doc(4, device_id="KK-XX-0404")
    value = envelope([doc(1), bad_schema, "not an object", unknown, doc(5)])
    outcome = run(message(9, value))

    assert [e.event.event_id for e in outcome.enriched] == ["ev-00000001", "ev-00000005"]
    letters = [(d.reason, d.origin.offset, d.origin.index) for d in outcome.dead_letters]
    assert letters == [
        (RejectReason.SCHEMA, 9, 1),
        (RejectReason.NOT_OBJECT, 9, 2),
        (RejectReason.UNKNOWN_DEVICE, 9, 3),
    ]
    schema_letter = outcome.dead_letters[0]
    assert "speed_kmh" in schema_letter.detail
    assert orjson.loads(base64.b64decode(schema_letter.payload_b64))["event_id"] == "ev-00000002"
    assert schema_letter.payload_sha256 == hashlib.sha256(value).hexdigest()  # finds the whole message
    assert schema_letter.key == "KK-DS-0001"


def test_a_control_character_in_one_event_rejects_only_that_event() -> None:
    outcome = run(message(1, envelope([doc(1), doc(2, plate="蒙K\u001b[31m")])))
    assert [e.event.event_id for e in outcome.enriched] == ["ev-00000001"]
    (letter,) = outcome.dead_letters
    assert (letter.reason, letter.origin.index) == (RejectReason.CONTROL_CHARACTER, 1)
    assert letter.detail.startswith("plate:")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"schema_version": 2}, "schema_version"),
        ({"events": []}, "events"),
        ({"events": {"a": 1}}, "events"),
        ({"gateway_id": "bad id with spaces"}, "gateway_id"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_malformed_envelope_is_one_dead_letter_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    rest = dict(changes)
    value = envelope(rest.pop("events", [doc(1)]), **rest)
    outcome = run(message(4, value))
    assert not outcome.enriched
    (letter,) = outcome.dead_letters
    assert letter.reason is RejectReason.BAD_BATCH
    assert letter.detail.startswith(field)
    assert letter.origin.index is None
    assert base64.b64decode(letter.payload_b64) == value  # camera/plate family: kept whole


def test_too_many_events_is_a_bad_batch() -> None:
    with pytest.raises(InvalidEvent) as error:
        decode_message(envelope([{"a": 1}] * (MAX_BATCH_EVENTS + 1)))
    assert error.value.reason is RejectReason.BAD_BATCH


def test_an_envelope_may_be_larger_than_one_event_but_not_its_events() -> None:
    many = [doc(n) for n in range(400)]
    value = envelope(many)
    assert len(value) > MAX_MESSAGE_BYTES
    assert [item.error for item in decode_message(value)] == [None] * 400
    huge = doc(1, plate_text_raw="x" * (MAX_MESSAGE_BYTES + 10))
    items = decode_message(envelope([doc(0), huge]))
    assert items[0].error is None
    assert items[1].error is not None and items[1].error.reason is RejectReason.OVERSIZED


def test_a_single_event_over_the_event_limit_is_still_oversized() -> None:
    with pytest.raises(InvalidEvent) as error:
        decode_message(orjson.dumps(doc(1, note="x" * MAX_MESSAGE_BYTES)))
    assert error.value.reason is RejectReason.OVERSIZED


def test_del_without_any_backslash_is_still_found() -> None:
    """The fast path skips the string walk without a backslash; DEL needs no escape in JSON."""
    with pytest.raises(InvalidEvent) as error:
        decode_message(orjson.dumps(doc(1, plate="蒙K1\x7f234")))
    assert error.value.reason is RejectReason.CONTROL_CHARACTER


def test_event_time_is_checked_per_event() -> None:
    future = (EVENT_TIME.replace(year=EVENT_TIME.year + 1)).isoformat()
    outcome = run(message(1, envelope([doc(1), doc(2, event_time=future)])))
    assert [e.event.event_id for e in outcome.enriched] == ["ev-00000001"]
    assert [d.reason for d in outcome.dead_letters] == [RejectReason.EVENT_TIME_FUTURE]


def test_internal_batch_helpers() -> None:
    assert orjson.loads(join_json([b"1", b'{"a":2}'])) == [1, {"a": 2}]
    assert join_json([]) == b"[]"
    assert count_of([("n", b"12")]) == 12
    assert count_of(count_header(3)) == 3
    assert count_of(None) == 1
    assert count_of([("other", b"5")]) == 1
    assert count_of([("n", b"garbage")]) == 1
