"""The project's error hierarchy: invalid input (dead-letter it) versus transient failure (retry it).

A stage raises ``InvalidEvent`` for data that will never become valid: the worker routes it to the
dead-letter topic and goes on. ``TransientError`` is for a service that is away (ClickHouse, a broker):
the caller retries with backoff and never drops the data.
"""

from __future__ import annotations

from enum import StrEnum


class RejectReason(StrEnum):
    """Why an event was dead-lettered; a closed set, so metrics and dashboards can count by it."""

    EMPTY = "empty"
    OVERSIZED = "oversized"
    NOT_UTF8 = "not_utf8"
    NOT_JSON = "not_json"
    NOT_OBJECT = "not_object"
    SCHEMA = "schema"
    CONTROL_CHARACTER = "control_character"
    EVENT_TIME_FUTURE = "event_time_future"
    EVENT_TIME_TOO_OLD = "event_time_too_old"
    UNKNOWN_DEVICE = "unknown_device"
    WRONG_FAMILY = "wrong_family"
    BAD_BATCH = "bad_batch"  # a batch envelope that is not sound (its events are not looked at)


class WarmcityError(Exception):
    """Base of the project's errors."""


class InvalidEvent(WarmcityError):
    """An event that cannot be processed as it is; ``detail`` names the field and what was wrong."""

    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class TransientError(WarmcityError):
    """A service is unavailable for now; the operation may succeed when retried."""
