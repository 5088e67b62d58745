"""Query results as text: an aligned table for the screen, CSV and JSON for other tools.

Times are UTC: ``2026-12-01 09:00:00`` in the table and CSV, ``2026-12-01T09:00:00Z`` in JSON. A whole
float prints without ``.0``, as ClickHouse prints it. Wide (CJK) characters count two columns when the
table is aligned. Pure: no I/O.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any


class OutputFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def format_result(result: QueryResult, output: OutputFormat) -> str:
    """The whole output, ending in a newline; an empty result is a header (CSV), ``[]`` or a table head."""
    if output is OutputFormat.CSV:
        return format_csv(result)
    if output is OutputFormat.JSON:
        return format_json(result)
    return format_table(result)


def cell_text(value: Any) -> str:
    """A value as the table and CSV show it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _utc(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [json_value(item) for item in value]
    if isinstance(value, list):
        return [json_value(item) for item in value]
    return value


def format_csv(result: QueryResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows([cell_text(value) for value in row] for row in result.rows)
    return out.getvalue()


def format_json(result: QueryResult) -> str:
    """A JSON array with one object per row, keys in column order."""
    records = [{c: json_value(v) for c, v in zip(result.columns, row, strict=True)} for row in result.rows]
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def format_table(result: QueryResult) -> str:
    """Columns aligned under their names, numbers to the right, a line under the head, a count below."""
    texts = [[cell_text(value) for value in row] for row in result.rows]
    widths = [display_width(name) for name in result.columns]
    for row in texts:
        widths = [max(width, display_width(text)) for width, text in zip(widths, row, strict=True)]
    numeric = [
        bool(result.rows) and all(_is_number(row[i]) for row in result.rows) for i in range(len(widths))
    ]
    lines = [
        _line(list(result.columns), widths, numeric),
        "  ".join("-" * width for width in widths),
        *(_line(row, widths, numeric) for row in texts),
    ]
    count = len(result.rows)
    lines.append(f"({count} row{'' if count == 1 else 's'})")
    return "\n".join(lines) + "\n"


def display_width(text: str) -> int:
    """Terminal columns of ``text``: wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _line(cells: list[str], widths: list[int], numeric: list[bool]) -> str:
    parts = []
    for text, width, right in zip(cells, widths, numeric, strict=True):
        pad = " " * (width - display_width(text))
        parts.append(pad + text if right else text + pad)
    return "  ".join(parts).rstrip()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment
