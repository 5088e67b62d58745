"""Typed parameters of saved queries: how a value typed by an analyst becomes a value bound into SQL.

Parsing is pure and strict: a value that cannot be used raises ``ParameterError`` naming the option, and
nothing here ever builds SQL text. Values go to clickhouse-driver as query parameters (``%(name)s``).
Times are UTC: ISO-8601 (a naive time is read as UTC) or relative to now (``-24h``, ``-7d``, ``now``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pipeline.errors import WarmcityError

_RELATIVE = re.compile(r"^(?:now)?\s*-\s*(\d{1,6})\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# DateTime columns hold 1970-01-01 to 2105-12-31; a year outside would wrap around silently.
_FIRST_YEAR, _LAST_YEAR = 1970, 2105
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
TIME_FORMS = "ISO-8601 (2026-12-01, 2026-12-01T09:00, 2026-12-01T17:00+08:00) or -30m, -24h, -7d, now"


class ParameterError(WarmcityError):
    """A parameter value that cannot be used; the message starts with the option, e.g. ``--from: ...``."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option


class ParamKind(StrEnum):
    TIME = "time"
    TEXT = "text"
    INT = "int"
    CHOICE = "choice"


def parse_time(text: str, now: datetime) -> datetime:
    """A naive UTC datetime (whole seconds) from ISO-8601 or a form relative to ``now`` (aware)."""
    value = text.strip().lower()
    if value == "now":
        moment = now
    elif match := _RELATIVE.match(value):
        amount, unit = int(match.group(1)), _UNITS[match.group(2)]
        moment = now - timedelta(**{unit: amount})
    else:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(f"cannot read {text!r} as a time; use {TIME_FORMS}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    if not _FIRST_YEAR <= moment.year <= _LAST_YEAR:
        raise ValueError(f"{text!r} is outside {_FIRST_YEAR}-{_LAST_YEAR}, what ClickHouse DateTime can hold")
    return moment.replace(microsecond=0)


@dataclass(frozen=True)
class Param:
    """One parameter of a saved query; ``name`` is its key in the SQL (``%(name)s``).

    ``default`` is written as an analyst would type it (``-24h``) and parsed like their input; an optional
    filter has the default ``""``, which its SQL reads as "any".
    """

    name: str
    kind: ParamKind
    help: str
    default: str | None = None
    flag: str = ""  # the option, when not --<name with dashes>
    choices: tuple[str, ...] = ()
    pattern: str | None = None  # a TEXT value must match it (after normalise)
    shape: str = ""  # the pattern in words, for the error message
    max_length: int = 100
    minimum: int | None = None
    maximum: int | None = None
    normalise: Callable[[str], str] | None = None

    @property
    def option(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def required(self) -> bool:
        return self.default is None

    def parse(self, raw: str | None, now: datetime) -> Any:
        """The value to bind: ``raw`` as typed, or the default when None."""
        text = self.default if raw is None else raw
        if text is None:
            raise ParameterError(self.option, "a value is required")
        try:
            return self._parse(text, now)
        except ValueError as exc:
            raise ParameterError(self.option, str(exc)) from None

    def _parse(self, text: str, now: datetime) -> Any:
        if self.kind is ParamKind.TIME:
            return parse_time(text, now)
        if self.kind is ParamKind.INT:
            return self._parse_int(text)
        value = self.normalise(text) if self.normalise else text.strip()
        if self.kind is ParamKind.CHOICE:
            if value not in self.choices and value != self.default:
                raise ValueError(f"{text!r} is not one of {', '.join(self.choices)}")
            return value
        if _CONTROL.search(value):
            raise ValueError("contains a control character")
        if len(value) > self.max_length:
            raise ValueError(f"is longer than {self.max_length} characters")
        if value and self.pattern and not re.fullmatch(self.pattern, value):
            raise ValueError(f"{text!r} is not {self.shape or 'of the form ' + self.pattern}")
        if not value and self.default != "":
            raise ValueError("must not be empty")
        return value

    def _parse_int(self, text: str) -> int:
        try:
            number = int(text.strip())
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
        if self.minimum is not None and number < self.minimum:
            raise ValueError(f"{number} is below the minimum {self.minimum}")
        if self.maximum is not None and number > self.maximum:
            raise ValueError(f"{number} is above the maximum {self.maximum}")
        return number

    @property
    def metavar(self) -> str:
        if self.kind is ParamKind.TIME:
            return "TIME"
        if self.kind is ParamKind.INT:
            return "N"
        if self.kind is ParamKind.CHOICE:
            return "[" + "|".join(self.choices) + "]"
        return self.name.upper()

    def help_text(self) -> str:
        """The parameter's help with its default, for ``--help``."""
        if self.default is None:
            return f"{self.help} (required)"
        if self.default == "":
            return f"{self.help} (default: any)"
        return f"{self.help} (default: {self.default})"


def window(default_from: str = "-24h") -> tuple[Param, Param]:
    """The time window ``[--from, --to)`` every saved query has, bound as ``start`` and ``end``."""
    return (
        Param("start", ParamKind.TIME, "Start of the window, included.", default_from, flag="--from"),
        Param("end", ParamKind.TIME, "End of the window, excluded.", "now", flag="--to"),
    )


def limit(default: int = 20, maximum: int = 100_000) -> Param:
    return Param("limit", ParamKind.INT, "At most this many rows.", str(default), minimum=1, maximum=maximum)


def text_filter(name: str, help: str, pattern: str | None = None) -> Param:
    """An optional equality filter: ``(%(name)s = '' OR column = %(name)s)`` in the SQL."""
    return Param(name, ParamKind.TEXT, help, "", pattern=pattern)


def choice_filter(name: str, help: str, choices: tuple[str, ...], default: str = "") -> Param:
    return Param(name, ParamKind.CHOICE, help, default, choices=choices, normalise=_folded)


def _folded(text: str) -> str:
    return text.strip().lower()
