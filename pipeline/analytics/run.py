"""Run a saved query on a clickhouse-driver client: the values go as query parameters, never as text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clickhouse_driver import Client

from pipeline.analytics.format import QueryResult
from pipeline.analytics.saved import SavedQuery


def run_saved(client: Client, query: SavedQuery, values: Mapping[str, Any]) -> QueryResult:
    """The rows of ``query`` with ``values`` (from ``query.bind``), substituted by the driver."""
    rows, columns = client.execute(query.sql, dict(values), with_column_types=True)
    return QueryResult(tuple(str(name) for name, _ in columns), tuple(tuple(row) for row in rows))
