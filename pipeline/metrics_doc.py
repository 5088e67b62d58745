"""The catalogue of ``pipeline/metrics.py`` as text: what ``warmcity metrics list`` prints and what
``docs/metrics.md`` embeds (a unit test keeps the two equal).

Read from the metric objects themselves (name, type, labels, help, histogram buckets), in the order the
catalogue declares them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from prometheus_client.metrics import Histogram, MetricWrapperBase
from prometheus_client.utils import floatToGoString

import pipeline.metrics

FORMATS = ("markdown", "text", "json")


@dataclass(frozen=True)
class MetricInfo:
    name: str  # as scraped: counters with their _total
    kind: str
    labels: tuple[str, ...]
    help: str
    buckets: tuple[str, ...] = ()


def catalogue() -> list[MetricInfo]:
    found: list[MetricInfo] = []
    for value in vars(pipeline.metrics).values():
        if not isinstance(value, MetricWrapperBase):
            continue
        (family,) = value.describe()
        name = family.name + "_total" if family.type == "counter" else family.name
        buckets: tuple[str, ...] = ()
        if isinstance(value, Histogram):
            buckets = tuple(str(floatToGoString(b)) for b in value._upper_bounds if b != float("inf"))  # type: ignore[no-untyped-call]
        found.append(MetricInfo(name, family.type, tuple(value._labelnames), family.documentation, buckets))
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(fmt: str) -> str:
    metrics = catalogue()
    if fmt == "json":
        return json.dumps([m.__dict__ for m in metrics], ensure_ascii=False, indent=2) + "\n"
    if fmt == "text":
        lines = []
        for m in metrics:
            lines.append(f"{m.name} ({m.kind}; labels: {', '.join(m.labels) or '-'})")
            lines.append(f"    {m.help}")
            if m.buckets:
                lines.append(f"    buckets: {', '.join(m.buckets)}")
        return "\n".join(lines) + "\n"
    if fmt != "markdown":
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    rows = ["| metric | type | labels | help |", "|---|---|---|---|"]
    for m in metrics:
        labels = ", ".join(f"`{label}`" for label in m.labels) or "–"
        text = _cell(m.help)
        if m.buckets:
            text += f" Buckets: {', '.join(m.buckets)}."
        rows.append(f"| `{m.name}` | {m.kind} | {labels} | {text} |")
    return "\n".join(rows) + "\n"
