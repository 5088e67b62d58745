"""Broken messages, as faulty devices and gateways send them, to exercise the dead-letter path.

Every message made here fails validation against its family's contract, as JSON and after a JSON parse; the
unit tests check each kind for every event type. Wrong-type values are chosen so that pydantic's lax mode
cannot coerce them (a string "3" would become lane 3, an integer would become a Unix-time ``event_time``).
``malform_event`` breaks any event, with the ``FaultTable`` of its type (``fault_table``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

from pipeline.contracts.envelope import EventEnvelope


class MalformedKind(StrEnum):
    NOT_JSON = "not_json"  # text or binary that is no JSON at all (includes invalid UTF-8 and empty values)
    TRUNCATED_JSON = "truncated_json"  # a good message cut short
    MISSING_FIELD = "missing_field"  # valid JSON, one required field absent
    WRONG_TYPE = "wrong_type"  # valid JSON, one field of a type no coercion accepts
    UNKNOWN_SCHEMA = "unknown_schema"  # valid JSON, a "schema" name no contract has
    UNKNOWN_VERSION = "unknown_version"  # valid JSON, a "schema_version" the contract does not know


@dataclass(frozen=True)
class FaultTable:
    """Where an event type can be broken: its required fields and values of the wrong type per field."""

    required: tuple[str, ...]
    wrong_types: tuple[tuple[str, Any], ...]


def fault_table(event_type: type[EventEnvelope]) -> FaultTable:
    """The faults of an event type, read from its model: every required field, a wrong type for each field."""
    required: list[str] = []
    wrong: list[tuple[str, Any]] = []
    for name, field in event_type.model_fields.items():
        key = field.alias or name
        if key in ("schema", "schema_version"):
            continue  # broken by their own kinds
        if field.is_required():
            required.append(key)
        if key == "event_time":
            wrong.append((key, "yesterday"))
        elif field.annotation is bool:
            wrong.append((key, "maybe"))
        elif field.annotation in (int, float):
            wrong.append((key, "n/a"))
        else:  # text, enums, identifiers, optional ones: no string coercion turns these into one
            wrong.append((key, [12345]))
    return FaultTable(tuple(required), tuple(wrong))


def malform_event(
    rng: random.Random, good: dict[str, Any], faults: FaultTable
) -> tuple[MalformedKind, bytes]:
    """Break a good event document (JSON values or datetimes) one way; ``good`` is left as it was."""
    kind = rng.choice(tuple(MalformedKind))
    if kind is MalformedKind.NOT_JSON:
        return kind, _not_json(rng, good)
    if kind is MalformedKind.TRUNCATED_JSON:
        text = _dumps(good).decode()
        # Cut before the closing brace, on a character boundary: the result is valid UTF-8 but no JSON.
        return kind, text[: rng.randint(1, len(text) - 1)].encode()
    broken = dict(good)
    if kind is MalformedKind.MISSING_FIELD:
        del broken[rng.choice(faults.required)]
    elif kind is MalformedKind.WRONG_TYPE:
        field, value = rng.choice(faults.wrong_types)
        broken[field] = value
    elif kind is MalformedKind.UNKNOWN_SCHEMA:
        schema = str(good.get("schema", "event"))
        broken["schema"] = rng.choice((f"{schema}_ext", schema.upper(), "event", "unknown"))
    else:
        broken["schema_version"] = rng.choice((0, 2, 3))
    return kind, _dumps(broken)


def _not_json(rng: random.Random, good: dict[str, Any]) -> bytes:
    variant = rng.randrange(4)
    fields = [(k, v) for k, v in good.items() if isinstance(v, str | int | float)][3:6]
    if variant == 0:  # an old gateway's key=value line
        return ";".join(f"{key}={value}" for key, value in fields).encode()
    if variant == 1:  # binary garbage, not even UTF-8
        return bytes([0xFF, 0xFE]) + rng.randbytes(rng.randint(4, 40))
    if variant == 2:  # XML from a vendor that never read the spec
        inner = "".join(f"<{key}>{value}</{key}>" for key, value in fields)
        return f"<event>{inner}</event>".encode()
    return b""


def _dumps(document: dict[str, Any]) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_UTC_Z)
