"""Saved queries: a name, what it answers, constant SQL with ``%(name)s`` placeholders, typed parameters.

The SQL of a saved query is a constant: analysts' values never become SQL text here. ``bind`` turns what
was typed into typed values that clickhouse-driver substitutes (``client.execute(sql, values)``);
``render`` shows the SQL with those values substituted by the driver's own escaping, for ``--sql`` and
for running the queries in other engines (the chDB tests). Nothing here connects to a server.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clickhouse_driver.util.escape import escape_params

from pipeline.analytics.params import Param, ParameterError
from pipeline.errors import WarmcityError

NOW = "now"  # bound with every query: the moment "now" meant when the values were parsed (naive UTC)


@dataclass(frozen=True)
class SavedQuery:
    name: str
    description: str  # one line, for the list
    sql: str
    params: tuple[Param, ...]
    details: str = ""  # what a row is and how to read it, for --help

    def param(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        raise KeyError(name)

    def bind(self, raw: Mapping[str, str | None], now: datetime) -> dict[str, Any]:
        """Typed values from what was typed (None: the default); ``now`` is aware, and bound as ``now``."""
        known = {param.name for param in self.params}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ParameterError(unknown[0], f"{self.name} has no such parameter")
        values = {param.name: param.parse(raw.get(param.name), now) for param in self.params}
        values[NOW] = now.replace(tzinfo=None, microsecond=0)
        if "start" in values:
            start = self.param("start")
            if values["start"] >= values[NOW]:
                raise ParameterError(start.option, f"{values['start']} UTC is in the future")
            if "end" in values and values["start"] >= values["end"]:
                end = self.param("end")
                raise ParameterError(
                    start.option, f"{values['start']} UTC is not before {end.option} {values['end']} UTC"
                )
        return values

    def render(self, values: Mapping[str, Any]) -> str:
        """The SQL with ``values`` substituted exactly as clickhouse-driver does for a UTC server."""
        return str(self.sql % escape_params(dict(values), _UtcContext()))

    def describe(self, values: Mapping[str, Any]) -> str:
        """The bound values as options, e.g. ``--plate 蒙K8A888 --from 2026-12-01 00:00:00``."""
        shown = []
        for param in self.params:
            value = values.get(param.name)
            if value not in (None, "") and param.name != "limit":
                shown.append(f"{param.option} {value}")
        return " ".join(shown)


class _UtcServer:
    @staticmethod
    def get_timezone() -> str:
        return "UTC"


class _UtcContext:
    # The driver's escaping reads the server's zone only to convert aware datetimes; ours are naive UTC.
    server_info = _UtcServer()


class UnknownQuery(WarmcityError):
    pass


class SavedQueries:
    """The registry: saved queries by name, in the order they were registered."""

    def __init__(self, queries: tuple[SavedQuery, ...]) -> None:
        self._by_name: dict[str, SavedQuery] = {}
        for query in queries:
            if query.name in self._by_name:
                raise ValueError(f"two saved queries are named {query.name!r}")
            self._by_name[query.name] = query

    def __iter__(self) -> Iterator[SavedQuery]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def names(self) -> list[str]:
        return list(self._by_name)

    def get(self, name: str) -> SavedQuery:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownQuery(f"no saved query {name!r}; there are {', '.join(self._by_name)}") from None
