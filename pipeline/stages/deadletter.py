"""Dead-letter stage: the record kept for a rejected message, with its reason, origin and a safe payload.

For families whose events identify people, the kept payload must not carry a raw identifier: a parsable
object keeps only the fields its family's contracts know, with person fields turned into tokens; anything
unparsable is dropped (the original stays on the raw topic for its retention, found by origin and digest).
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime
from functools import cache

import orjson

from pipeline.contracts import DeviceFamily
from pipeline.contracts.dead_letter import DeadLetter, Origin
from pipeline.contracts.families import FAMILIES
from pipeline.errors import InvalidEvent
from pipeline.stages.privacy import Pseudonymiser
from pipeline.stages.validate import MAX_MESSAGE_BYTES

MAX_DETAIL_CHARS = 500
# An 18-character resident ID number anywhere in a kept string (a device may put one in the wrong field).
_ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


@cache
def person_fields_of(family: DeviceFamily) -> frozenset[str]:
    return frozenset(name for t in FAMILIES[family].event_types for name in t.PERSON_FIELDS)


@cache
def known_fields_of(family: DeviceFamily) -> frozenset[str]:
    names = {f.alias or n for t in FAMILIES[family].event_types for n, f in t.model_fields.items()}
    return frozenset(names | {n for t in FAMILIES[family].event_types for n in t.model_fields})


def safe_payload(value: bytes, family: DeviceFamily, pseudonymiser: Pseudonymiser) -> tuple[bytes, bool]:
    """The payload to keep and whether it was redacted."""
    person_fields = person_fields_of(family)
    if not person_fields:
        return value[:MAX_MESSAGE_BYTES], False
    try:
        document = orjson.loads(value)
    except orjson.JSONDecodeError:
        return b"", True
    if not isinstance(document, dict):
        return b"", True
    known = known_fields_of(family)
    kept: dict[str, object] = {}
    for name, original in document.items():
        if name not in known:
            continue  # an unknown field may be a misnamed identifier: never keep it
        if name in person_fields and isinstance(original, str):
            kept[name] = pseudonymiser.token(original)
        elif isinstance(original, str):
            kept[name] = _ID_NUMBER.sub(lambda m: pseudonymiser.token(m.group()), original)
        elif original is None or isinstance(original, int | float | bool):
            kept[name] = original
        # anything nested could hide an identifier anywhere: not kept
    return orjson.dumps(kept)[:MAX_MESSAGE_BYTES], True


def dead_letter_for(
    error: InvalidEvent,
    origin: Origin,
    key: bytes | None,
    value: bytes | None,
    now: datetime,
    family: DeviceFamily,
    pseudonymiser: Pseudonymiser,
) -> DeadLetter:
    original = value or b""
    payload, redacted = safe_payload(original, family, pseudonymiser)
    return DeadLetter(
        reason=error.reason,
        detail=error.detail[:MAX_DETAIL_CHARS],
        origin=origin,
        key=key.decode("utf-8", errors="replace") if key is not None else None,
        payload_b64=base64.b64encode(payload).decode("ascii"),
        payload_redacted=redacted,
        payload_sha256=hashlib.sha256(original).hexdigest(),
        rejected_at=now,
    )
