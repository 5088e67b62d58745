"""Privacy stage: person identifiers become keyed-HMAC tokens before anything else sees an event.

A token is ``pt_`` and 24 hex digits of HMAC-SHA256(key, identifier). The same identifier always gives the
same token under one key, so watch lists (which hold tokens) still match and analysts can follow one person
across devices, but nobody without the key can go back from a token to an ID number or a name. The key
comes from settings (``WARMCITY_PRIVACY_HMAC_KEY``), never from code.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import TypeVar

from pipeline.contracts.envelope import TOKEN_PATTERN, EventEnvelope

E = TypeVar("E", bound=EventEnvelope)

_TOKEN = re.compile(TOKEN_PATTERN)
MIN_KEY_BYTES = 16


class Pseudonymiser:
    """Turns identifiers into tokens with one key; cheap to call per event."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"the HMAC key must be at least {MIN_KEY_BYTES} bytes, got {len(key)}")
        self._key = key

    def token(self, identifier: str) -> str:
        # Normalise what devices vary on (case, surrounding spaces), so one person gets one token.
        normal = identifier.strip().upper().encode("utf-8")
        return "pt_" + hmac.new(self._key, normal, hashlib.sha256).hexdigest()[:24]

    def pseudonymise(self, event: E) -> E:
        """The event with each of its ``PERSON_FIELDS`` replaced by a token (None stays None)."""
        if not event.PERSON_FIELDS:
            return event
        changes = {}
        for name in event.PERSON_FIELDS:
            value = getattr(event, name)
            if value is not None and not _TOKEN.match(value):
                changes[name] = self.token(value)
        return event.model_copy(update=changes) if changes else event
