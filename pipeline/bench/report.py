"""The JSON document of a run: options, workload, machine, each phase, the ratios. Pure: no I/O here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.bench.phases import PHASES
from pipeline.bench.ratios import Limit, Ratio, limits, ratios
from pipeline.bench.results import PhaseResult

SCHEMA_VERSION = 1


def phase_rates(results: Sequence[PhaseResult]) -> dict[str, float | None]:
    """events/s of each phase, None for a phase that did not finish every event."""
    return {r.phase: (r.events_per_s if r.complete else None) for r in results}


def run_ratios(results: Sequence[PhaseResult]) -> list[Ratio]:
    return ratios(phase_rates(results))


def run_limits(results: Sequence[PhaseResult]) -> list[Limit]:
    """The limits on (d)'s latency and (e)'s memory, of the phases that were run."""
    return limits({r.phase: r.measures for r in results})


def document(
    *,
    tag: str,
    created_at: str,
    command: str,
    options: Mapping[str, Any],
    workload: Mapping[str, Any] | None,
    machine: Mapping[str, Any],
    results: Sequence[PhaseResult],
    error: str | None = None,
) -> dict[str, Any]:
    return {
        "benchmark": "pipeline",
        "schema_version": SCHEMA_VERSION,
        "run": tag,
        "created_at": created_at,
        "command": command,
        "options": dict(options),
        "workload": dict(workload) if workload is not None else None,
        "machine": dict(machine),
        "phases": {
            r.phase: {"label": PHASES[r.phase].label, "title": PHASES[r.phase].title, **r.as_dict()}
            for r in results
        },
        "ratios": {ratio.name: ratio.as_dict() for ratio in run_ratios(results)},
        "targets": {limit.name: limit.as_dict() for limit in run_limits(results)},
        "complete": error is None and all(r.complete for r in results),
        "error": error,
    }
