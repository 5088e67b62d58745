"""Validate stage: raw message bytes in, a typed event of the topic's family out, or ``InvalidEvent``
naming what was wrong (the field and the problem, never the field's value: it may identify a person)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import orjson
from pydantic import ValidationError

from pipeline.contracts import DeviceFamily, PlateRead
from pipeline.contracts.batch import MAX_BATCH_BYTES, EventBatch, is_batch
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.families import FAMILIES
from pipeline.errors import InvalidEvent, RejectReason

MAX_MESSAGE_BYTES = 64 * 1024
# C0 controls and DEL: no field of any contract needs one, and an escape sequence in a string would reach
# an operator's terminal through `alerts tail`.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class EventTimeLimits:
    """How far from the processing time an event time may be: clocks drift, devices buffer."""

    max_ahead: timedelta = timedelta(minutes=5)
    max_age: timedelta = timedelta(days=7)


def describe_validation_error(exc: ValidationError) -> str:
    """The first problem, then how many more: 'speed_kmh: Input should be a valid number (+1 more)'."""
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    field = ".".join(str(part) for part in first["loc"]) or "<root>"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{field}: {first['msg']}{more}"


@dataclass(frozen=True)
class DecodedItem:
    """One event's document out of a raw message: the whole message, or one element of a batch envelope.

    ``error`` is set when the element itself is unusable (the rest of the batch is not affected)."""

    index: int | None  # position in the envelope's ``events``; None for a single-event message
    document: object
    error: InvalidEvent | None = None


def decode_message(raw: bytes | None) -> list[DecodedItem]:
    """The event documents of a raw message: one for a single event, each element of a batch envelope.

    ``InvalidEvent`` when the message as a whole is unusable (empty, too big, not UTF-8, not JSON, not an
    object, a control character in a single event, a malformed envelope)."""
    document = _decode_object(raw, MAX_BATCH_BYTES)
    assert raw is not None
    if not is_batch(document):
        if len(raw) > MAX_MESSAGE_BYTES:
            raise InvalidEvent(RejectReason.OVERSIZED, f"{len(raw)} bytes, limit {MAX_MESSAGE_BYTES}")
        if _may_hold_control(raw):
            _check_strings(document)
        return [DecodedItem(None, document)]
    try:
        batch = EventBatch.model_validate(document)
    except ValidationError as exc:
        raise InvalidEvent(RejectReason.BAD_BATCH, describe_validation_error(exc)) from None
    check_strings = _may_hold_control(raw)
    check_size = len(raw) > MAX_MESSAGE_BYTES
    return [_batch_item(i, element, check_strings, check_size) for i, element in enumerate(batch.events)]


def _may_hold_control(raw: bytes) -> bool:
    """False when no string of the document can hold a control character: C0 controls are not valid
    JSON unescaped, so without a backslash only DEL could be there. Walking every string is the
    costliest part of decoding; most messages have neither."""
    return b"\\" in raw or b"\x7f" in raw


def _batch_item(index: int, element: object, check_strings: bool, check_size: bool) -> DecodedItem:
    try:
        if not isinstance(element, dict):
            raise InvalidEvent(
                RejectReason.NOT_OBJECT,
                f"events[{index}]: expected a JSON object, got {type(element).__name__}",
            )
        if check_size and (size := len(orjson.dumps(element))) > MAX_MESSAGE_BYTES:
            raise InvalidEvent(
                RejectReason.OVERSIZED, f"events[{index}]: {size} bytes, limit {MAX_MESSAGE_BYTES}"
            )
        if check_strings:
            _check_strings(element)
    except InvalidEvent as error:
        return DecodedItem(index, element, error)
    return DecodedItem(index, element)


def decode_document(raw: bytes | None) -> dict[str, object]:
    """The JSON object of a single-event message, or ``InvalidEvent`` for anything that is not one."""
    document = _decode_object(raw, MAX_MESSAGE_BYTES)
    assert raw is not None
    if _may_hold_control(raw):
        _check_strings(document)
    return document


def _decode_object(raw: bytes | None, limit: int) -> dict[str, object]:
    if not raw:
        raise InvalidEvent(RejectReason.EMPTY, "message has no value")
    if len(raw) > limit:
        raise InvalidEvent(RejectReason.OVERSIZED, f"{len(raw)} bytes, limit {limit}")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidEvent(RejectReason.NOT_UTF8, f"invalid UTF-8 at byte {exc.start}") from None
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidEvent(RejectReason.NOT_JSON, str(exc)) from None
    if not isinstance(document, dict):
        raise InvalidEvent(RejectReason.NOT_OBJECT, f"expected a JSON object, got {type(document).__name__}")
    return document


def _check_strings(document: dict[str, object]) -> None:
    for path, text in _strings(document, ""):
        if _CONTROL.search(text):
            raise InvalidEvent(
                RejectReason.CONTROL_CHARACTER, f"{path or '<key>'}: contains a control character"
            )


def _strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a JSON document, keys included, with where it is."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield path, key
            yield from _strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


class EventTimeAhead(InvalidEvent):
    """An event timed further ahead than allowed; ``ahead_s``: by how much (for the clock-skew metric)."""

    def __init__(self, ahead_s: float) -> None:
        super().__init__(
            RejectReason.EVENT_TIME_FUTURE, f"event_time: {ahead_s:.0f} s ahead of the pipeline's clock"
        )
        self.ahead_s = ahead_s


def check_event_time(event: EventEnvelope, now: datetime, limits: EventTimeLimits) -> None:
    """``InvalidEvent`` for an event time too far ahead of ``now`` (``EventTimeAhead``) or too long ago."""
    if event.event_time - now > limits.max_ahead:
        raise EventTimeAhead((event.event_time - now).total_seconds())
    if now - event.event_time > limits.max_age:
        days = (now - event.event_time).total_seconds() / 86400
        raise InvalidEvent(RejectReason.EVENT_TIME_TOO_OLD, f"event_time: {days:.1f} days old")


def validate_event(raw: bytes | None, family: DeviceFamily) -> EventEnvelope:
    """One single-event message, decoded and validated against ``family``'s contracts."""
    return validate_document(decode_document(raw), family)


def validate_document(document: object, family: DeviceFamily) -> EventEnvelope:
    try:
        event: EventEnvelope = FAMILIES[family].adapter.validate_python(document)
    except ValidationError as exc:
        raise InvalidEvent(RejectReason.SCHEMA, describe_validation_error(exc)) from None
    return event


def validate_plate_read(raw: bytes | None) -> PlateRead:
    return cast(PlateRead, validate_event(raw, DeviceFamily.VEHICLE_CHECKPOINT))
