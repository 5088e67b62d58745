"""Broken plate-read messages, as faulty devices and gateways send them, to exercise the dead-letter path.

Every message made here fails ``PlateRead.model_validate_json``; the unit tests check each kind. Wrong-type
values are chosen so that pydantic's lax mode cannot coerce them (a string "3" would become lane 3, an integer
would become a Unix-time ``event_time``).
"""

from __future__ import annotations

import json
import random
from enum import StrEnum
from typing import Any


class MalformedKind(StrEnum):
    NOT_JSON = "not_json"  # text or binary that is no JSON at all (includes invalid UTF-8 and empty values)
    TRUNCATED_JSON = "truncated_json"  # a good message cut short
    MISSING_FIELD = "missing_field"  # valid JSON, one required field absent
    WRONG_TYPE = "wrong_type"  # valid JSON, one field of a type no coercion accepts


REQUIRED_FIELDS: tuple[str, ...] = (
    "event_id",
    "device_id",
    "event_time",
    "plate",
    "plate_colour",
    "direction",
    "lane",
    "speed_kmh",
    "vehicle_class",
    "confidence",
)

WRONG_TYPES: tuple[tuple[str, Any], ...] = (
    ("lane", "left"),
    ("speed_kmh", "fast"),
    ("confidence", [0.97]),
    ("plate", 12345),
    ("event_time", "yesterday"),
    ("direction", 1),
    ("device_id", {"id": "KK-DS-0001"}),
    ("plate_colour", None),
)


def malform(rng: random.Random, good: dict[str, Any]) -> tuple[MalformedKind, bytes]:
    """Break the JSON form of a good plate read (``model_dump(mode="json", by_alias=True)``) one way."""
    kind = rng.choice(tuple(MalformedKind))
    if kind is MalformedKind.NOT_JSON:
        return kind, _not_json(rng, good)
    if kind is MalformedKind.TRUNCATED_JSON:
        text = _dumps(good)
        # Cut before the closing brace, on a character boundary: the result is valid UTF-8 but no JSON.
        return kind, text[: rng.randint(1, len(text) - 1)].encode()
    broken = dict(good)
    if kind is MalformedKind.MISSING_FIELD:
        del broken[rng.choice(REQUIRED_FIELDS)]
    else:
        field, value = rng.choice(WRONG_TYPES)
        broken[field] = value
    return kind, _dumps(broken).encode()


def _not_json(rng: random.Random, good: dict[str, Any]) -> bytes:
    variant = rng.randrange(4)
    if variant == 0:  # an old gateway's key=value line
        return f"plate={good['plate']};lane={good['lane']};speed={good['speed_kmh']}".encode()
    if variant == 1:  # binary garbage, not even UTF-8
        return bytes([0xFF, 0xFE]) + rng.randbytes(rng.randint(4, 40))
    if variant == 2:  # XML from a vendor that never read the spec
        return f"<plateRead><plate>{good['plate']}</plate></plateRead>".encode()
    return b""


def _dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))
