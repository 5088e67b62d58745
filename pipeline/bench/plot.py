"""The run's plot, from its JSON document alone: events/s per phase with the targets on (c), (d)'s latency
distribution with its percentiles and the 250 ms target, (d)'s latency of each alert over the run, and
(e)'s memory over time with the 600 MB target. A panel whose phase was not run says so. Written with
matplotlib's Agg backend (no display)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline.bench.ratios import LIMITS, RATIOS

COLOURS = {"a": "#9e9e9e", "a2": "#607d8b", "b": "#ef6c00", "c": "#1565c0", "d": "#2e7d32", "e": "#6a1b9a"}


def plot_path(output: Path) -> Path:
    """Where the plot of the JSON at ``output`` goes: next to it, same name, ``.png``."""
    return output.with_suffix(".png")


def _limit(phase: str) -> float | None:
    return next((limit for p, _, limit, _ in LIMITS if p == phase), None)


def _rates(ax: Any, phases: Mapping[str, Any]) -> None:
    shown = [(name, p) for name, p in phases.items() if name != "e" and p.get("events_per_s")]
    if not shown:
        ax.text(0.5, 0.5, "no throughput phase run", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    labels = [p["label"] for _, p in shown]
    values = [float(p["events_per_s"]) for _, p in shown]
    bars = ax.bar(labels, values, color=[COLOURS.get(name, "#455a64") for name, _ in shown])
    for bar, (_, phase), value in zip(bars, shown, values, strict=True):
        text = f"{value:,.0f}" + ("" if phase.get("complete") else " (incomplete)")
        ax.annotate(text, (bar.get_x() + bar.get_width() / 2, value), ha="center", va="bottom", fontsize=7)
    rates = {name: float(p["events_per_s"]) for name, p in shown if p.get("complete")}
    labels_of = {name: p["label"] for name, p in shown}
    for numerator, denominator, target in RATIOS:
        if target is None or numerator not in labels_of or denominator not in rates:
            continue
        x = labels.index(labels_of[numerator])
        wanted = target * rates[denominator]
        ax.hlines(wanted, x - 0.45, x + 0.45, colors="#c62828", linestyles="dashed")
        ax.annotate(f"target {target:g}x{labels_of[denominator]}", (x, wanted), fontsize=7, color="#c62828",
                    ha="center", va="bottom")  # fmt: skip
    d = phases.get("d")
    if d is not None and "d" in labels_of:
        offered = float(d.get("measures", {}).get("offered_per_s") or 0)
        x = labels.index(labels_of["d"])
        ax.hlines(offered, x - 0.45, x + 0.45, colors="#2e7d32", linestyles="dotted")
        ax.annotate(f"offered {offered:,.0f}/s", (x, offered), fontsize=7, color="#2e7d32", ha="center",
                    va="top")  # fmt: skip
    ax.set_yscale("log")
    ax.set_ylim(min(values) / 3, max(values) * 3)
    ax.set_ylabel("events/s (log)")
    ax.set_title("throughput per phase ((d): achieved send rate)", fontsize=9)


def _latency(ax: Any, phase: Mapping[str, Any] | None) -> None:
    latency = (phase or {}).get("measures", {}).get("latency") or {}
    values = sorted(latency.get("latencies_ms") or [])
    if not values:
        ax.text(0.5, 0.5, "(d) not run or no alert matched", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    shares = [(i + 1) / len(values) for i in range(len(values))]
    ax.step(values, shares, where="post", color=COLOURS["d"])
    read = latency.get("read", {})
    for name, style in (("p50_ms", ":"), ("p95_ms", "-."), ("p99_ms", "--")):
        value = read.get(name)
        if value is not None:
            ax.axvline(value, color="#455a64", linestyle=style, label=f"{name[:3]} {value:,.0f} ms")
    target = _limit("d")
    if target is not None:
        ax.axvline(target, color="#c62828", label=f"target p99 <= {target:g} ms")
    ax.set_xscale("log")
    ax.set_xlabel("event time -> alert read off the alerts topic, ms (log)")
    ax.set_ylabel("share of alerts")
    offered = phase.get("measures", {}).get("offered_per_s") if phase else None
    ax.set_title(f"(d) latency, {len(values):,} alerts at {offered or 0:,.0f} events/s offered", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")


def _over_time(ax: Any, phase: Mapping[str, Any] | None) -> None:
    measures = (phase or {}).get("measures", {})
    points = (measures.get("latency") or {}).get("over_time") or []
    if not points:
        ax.text(0.5, 0.5, "(d) not run or no alert matched", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    began = float(measures.get("send_began_s") or points[0][0])
    ax.scatter([at - began for at, _ in points], [ms for _, ms in points], s=4, color=COLOURS["d"])
    target = _limit("d")
    if target is not None:
        ax.axhline(target, color="#c62828", label=f"target p99 <= {target:g} ms")
    send_s = measures.get("send_s")
    if send_s:
        ax.axvline(float(send_s), color="#455a64", linestyle=":", label="last send")
    ax.set_yscale("log")
    ax.set_xlabel("event time, s since sending began")
    ax.set_ylabel("latency to the alert, ms (log)")
    ax.set_title("(d) latency of each injected read over the run", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")


def _memory(ax: Any, phase: Mapping[str, Any] | None) -> None:
    measures = (phase or {}).get("measures", {})
    timeline = measures.get("timeline") or []
    if not timeline:
        ax.text(0.5, 0.5, "(e) not run", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    ax.plot([t for t, _, _ in timeline], [r for _, r, _ in timeline], color=COLOURS["e"], label="VmRSS")
    ax.plot([t for t, _, _ in timeline], [p for _, _, p in timeline], color=COLOURS["e"], linestyle="--",
            label="VmHWM (peak)")  # fmt: skip
    target = _limit("e")
    if target is not None:
        ax.axhline(target, color="#c62828", label=f"target <= {target:g} MB")
    ax.set_xlabel("s since the load started (references loaded before)")
    ax.set_ylabel("MiB")
    ax.set_ylim(bottom=0)
    ax.set_title(
        f"(e) worker memory, {measures.get('watchlist_entries', 0):,} watch-list entries, "
        f"{measures.get('events', 0):,} events",
        fontsize=9,
    )
    ax.legend(fontsize=7, loc="lower right")


def write_plot(found: Mapping[str, Any], path: Path) -> Path:
    """Write the plot of a run's JSON document ``found`` to ``path`` (PNG) and return ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    phases: Mapping[str, Any] = found.get("phases") or {}
    figure, grid = plt.subplots(2, 2, figsize=(13, 9))
    axes = grid.flatten()
    try:
        _rates(axes[0], phases)
        _latency(axes[1], phases.get("d"))
        _over_time(axes[2], phases.get("d"))
        _memory(axes[3], phases.get("e"))
        load = (found.get("machine") or {}).get("load_average")
        figure.suptitle(f"warmcity bench pipeline, run {found.get('run')} (load average at start {load})",
                        fontsize=10)  # fmt: skip
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=110)
    finally:
        plt.close(figure)
    return path
