"""Dead-letter stage: the record kept for a rejected message, with its reason and origin."""

from __future__ import annotations

import base64
from datetime import datetime

from pipeline.contracts.dead_letter import DeadLetter, Origin
from pipeline.errors import InvalidEvent
from pipeline.stages.validate import MAX_MESSAGE_BYTES

MAX_DETAIL_CHARS = 500


def dead_letter_for(
    error: InvalidEvent, origin: Origin, key: bytes | None, value: bytes | None, now: datetime
) -> DeadLetter:
    payload = (value or b"")[:MAX_MESSAGE_BYTES]
    return DeadLetter(
        reason=error.reason,
        detail=error.detail[:MAX_DETAIL_CHARS],
        origin=origin,
        key=key.decode("utf-8", errors="replace") if key is not None else None,
        payload_b64=base64.b64encode(payload).decode("ascii"),
        rejected_at=now,
    )
