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


def decode_document(raw: bytes | None) -> dict[str, object]:
    """The JSON object of a message, or ``InvalidEvent`` for anything that is not one."""
    if not raw:
        raise InvalidEvent(RejectReason.EMPTY, "message has no value")
    if len(raw) > MAX_MESSAGE_BYTES:
        raise InvalidEvent(RejectReason.OVERSIZED, f"{len(raw)} bytes, limit {MAX_MESSAGE_BYTES}")
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
    for path, text in _strings(document, ""):
        if _CONTROL.search(text):
            raise InvalidEvent(
                RejectReason.CONTROL_CHARACTER, f"{path or '<key>'}: contains a control character"
            )
    return document


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


def check_event_time(event: EventEnvelope, now: datetime, limits: EventTimeLimits) -> None:
    """``InvalidEvent`` for an event time too far ahead of ``now`` or too long before it."""
    if event.event_time - now > limits.max_ahead:
        ahead = (event.event_time - now).total_seconds()
        raise InvalidEvent(
            RejectReason.EVENT_TIME_FUTURE, f"event_time: {ahead:.0f} s ahead of the pipeline's clock"
        )
    if now - event.event_time > limits.max_age:
        days = (now - event.event_time).total_seconds() / 86400
        raise InvalidEvent(RejectReason.EVENT_TIME_TOO_OLD, f"event_time: {days:.1f} days old")


def validate_event(raw: bytes | None, family: DeviceFamily) -> EventEnvelope:
    document = decode_document(raw)
    try:
        event: EventEnvelope = FAMILIES[family].adapter.validate_python(document)
    except ValidationError as exc:
        raise InvalidEvent(RejectReason.SCHEMA, describe_validation_error(exc)) from None
    return event


def validate_plate_read(raw: bytes | None) -> PlateRead:
    return cast(PlateRead, validate_event(raw, DeviceFamily.VEHICLE_CHECKPOINT))
