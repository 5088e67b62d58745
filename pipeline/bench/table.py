"""The printed table of a run: one line per phase, then the ratios with their targets."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.bench.phases import PHASES
from pipeline.bench.ratios import Limit, Ratio
from pipeline.bench.results import PhaseResult

_HEADER = ("phase", "what", "events", "processed", "events/s", "drain s", "sustained/s", "RSS MB")


def _label(phase: str) -> str:
    spec = PHASES.get(phase)
    return spec.label if spec is not None else phase


def _number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def phase_row(result: PhaseResult) -> tuple[str, ...]:
    spec = PHASES.get(result.phase)
    title = spec.title if spec is not None else result.phase
    sustained = result.sustained
    sustained_text = "-"
    if sustained is not None and sustained.window_s > 0:
        sustained_text = _number(sustained.events_per_s) + ("" if sustained.complete else "*")
    rate = _number(result.events_per_s) if result.complete else f"({_number(result.events_per_s)})"
    return (
        _label(result.phase),
        title,
        _number(result.events),
        _number(result.processed),
        rate,
        _number(result.drain.elapsed_s, 1),
        sustained_text,
        _number(result.peak_rss_mb),
    )


def ratio_line(ratio: Ratio) -> str:
    name = f"{_label(ratio.numerator)}/{_label(ratio.denominator)}"
    value = "-" if ratio.value is None else f"{ratio.value:.3f}"
    target = "" if ratio.target is None else f"target >= {ratio.target:g}"
    verdict = {True: "met", False: "NOT met", None: ""}[ratio.met]
    return f"  {name:<10} {value:>8}   {target:<14} {verdict}".rstrip()


def limit_line(limit: Limit) -> str:
    name = f"{_label(limit.phase)} {limit.measure}"
    value = "-" if limit.value is None else f"{limit.value:,.1f} {limit.unit}"
    verdict = {True: "met", False: "NOT met", None: ""}[limit.met]
    return f"  {name:<18} {value:>12}   target <= {limit.limit:g} {limit.unit}  {verdict}".rstrip()


def _ms(value: object) -> str:
    return f"{value:,.0f}" if isinstance(value, int | float) else "-"


def measure_lines(result: PhaseResult) -> list[str]:
    """What (d) and (e) measured besides events/s, one or two lines each."""
    m = result.measures
    if not m:
        return []
    if result.phase == "d":
        read, kafka = m["latency"]["read"], m["latency"]["kafka_timestamp"]
        kept = "kept" if m["kept_offered_rate"] else "NOT kept"
        return [
            f"  (d) offered {m['offered_per_s']:,.0f}/s, achieved {m['achieved_per_s']:,.0f}/s ({kept}); "
            f"{read['count']:,} alerts of {m['latency']['injected_after_warmup']:,} injected reads after the "
            f"warm-up ({m['latency']['missing']:,} missing)",
            f"  (d) latency ms, read by the harness: p50 {_ms(read['p50_ms'])}  p95 {_ms(read['p95_ms'])}  "
            f"p99 {_ms(read['p99_ms'])}  max {_ms(read['max_ms'])}; by Kafka timestamp: p50 "
            f"{_ms(kafka['p50_ms'])}  p95 {_ms(kafka['p95_ms'])}  p99 {_ms(kafka['p99_ms'])}",
        ]
    if result.phase == "e":
        loaded, end = m.get("after_load") or {}, m.get("at_end") or {}
        return [
            f"  (e) {m['watchlist_entries']:,} watch-list entries, {m['events']:,} events: peak RSS (VmHWM) "
            f"{_ms(m['peak_rss_mb'])} MB; RSS after loading {_ms(loaded.get('rss_mb'))} MB, at the end "
            f"{_ms(end.get('rss_mb'))} MB ({m.get('distinct_plates') or 0:,} distinct plates, "
            f"{_ms(m.get('growth_bytes_per_distinct_plate'))} bytes of growth each)",
        ]
    return []


def render_table(results: Sequence[PhaseResult], found: Sequence[Ratio], limits: Sequence[Limit] = ()) -> str:
    rows = [_HEADER, *(phase_row(r) for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "-" * len(lines[0]))
    notes = []
    if any(not r.complete for r in results):
        notes.append("(...) events/s of a phase that did not finish every event: no ratio uses it")
    if any(
        r.sustained is not None and r.sustained.window_s > 0 and not r.sustained.complete for r in results
    ):
        notes.append("* sustained window cut short: the drain ended first (more --events lengthen it)")
    measured = [line for r in results for line in measure_lines(r)]
    if measured:
        lines += ["", *measured]
    if found:
        lines += ["", "ratios of events/s:", *(ratio_line(r) for r in found)]
    if limits:
        lines += ["", "targets:", *(limit_line(limit) for limit in limits)]
    return "\n".join(lines + notes)
