"""Validate stage: raw message bytes in, a typed event of the topic's family out, or ``InvalidEvent``
naming what was wrong (the field and the problem, never the field's value: it may identify a person)."""

from __future__ import annotations

from typing import cast

import orjson
from pydantic import ValidationError

from pipeline.contracts import DeviceFamily, PlateRead
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.families import FAMILIES
from pipeline.errors import InvalidEvent, RejectReason

MAX_MESSAGE_BYTES = 64 * 1024


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
    return document


def validate_event(raw: bytes | None, family: DeviceFamily) -> EventEnvelope:
    document = decode_document(raw)
    try:
        event: EventEnvelope = FAMILIES[family].adapter.validate_python(document)
    except ValidationError as exc:
        raise InvalidEvent(RejectReason.SCHEMA, describe_validation_error(exc)) from None
    return event


def validate_plate_read(raw: bytes | None) -> PlateRead:
    return cast(PlateRead, validate_event(raw, DeviceFamily.VEHICLE_CHECKPOINT))
