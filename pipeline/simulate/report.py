"""Text of the simulator's progress line and summaries, shared by ``warmcity simulate`` and ``bench``.

Pure formatting: the progress line shows events/s per family over the last interval (``ProgressRates``
keeps the previous report), the summaries a table per family.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipeline.contracts.reference import DeviceFamily
from pipeline.simulate.bench import GenerationBenchmark
from pipeline.simulate.messages import FamilyTally, SimulationProgress, SimulationSummary

SHORT = {
    DeviceFamily.VEHICLE_CHECKPOINT: "plates",
    DeviceFamily.CAMERA: "cameras",
    DeviceFamily.FACE_RECOGNITION: "faces",
    DeviceFamily.ID_GATE: "id gates",
    DeviceFamily.EXPLOSIVES: "explosives",
    DeviceFamily.SCHOOL: "schools",
    DeviceFamily.COMMUNITY: "communities",
}


class ProgressRates:
    """Turns cumulative progress reports into a line with the rates since the previous report."""

    def __init__(self) -> None:
        self._last: SimulationProgress | None = None

    def line(self, progress: SimulationProgress, extra: str = "") -> str:
        last = self._last or SimulationProgress(0, 0.0, {})
        self._last = progress
        span = progress.elapsed_s - last.elapsed_s
        parts = []
        for family in DeviceFamily:
            sent = progress.by_family.get(family, 0)
            if sent:
                rate = (sent - last.by_family.get(family, 0)) / span if span > 0 else 0.0
                parts.append(f"{SHORT[family]} {rate:,.0f}")
        total = (progress.sent - last.sent) / span if span > 0 else 0.0
        families = f"  [{', '.join(parts)}]" if parts else ""
        return (
            f"sent {progress.sent:,} events  {total:,.1f} events/s{families}  "
            f"elapsed {progress.elapsed_s:.1f} s{extra}"
        )


def family_table(families: Mapping[DeviceFamily, FamilyTally], elapsed_s: float) -> list[str]:
    header = f"  {'family':<20}{'sent':>10}{'malformed':>11}{'duplicates':>12}{'late':>8}{'events/s':>11}"
    lines = [header]
    for family, t in families.items():
        rate = t.sent / elapsed_s if elapsed_s > 0 else 0.0
        lines.append(
            f"  {family.value:<20}{t.sent:>10,}{t.malformed:>11,}{t.duplicates:>12,}"
            f"{t.late:>8,}{rate:>11,.1f}"
        )
    return lines


def describe_run(summary: SimulationSummary) -> str:
    s = summary
    stopped = " (interrupted)" if s.interrupted else ""
    head = (
        f"sent {s.sent:,} events in {s.elapsed_s:.1f} s ({s.rate_per_s:,.1f} events/s){stopped}: "
        f"delivered {s.delivered:,}, failed {s.failed:,}; malformed {s.malformed:,}, "
        f"duplicates {s.duplicates:,}, injected {s.injected:,}, unknown device {s.unknown_device:,}"
    )
    return "\n".join([head, *family_table(s.families, s.elapsed_s)]) if s.families else head


def describe_scenarios(complete: Sequence[str], incomplete: Mapping[str, float]) -> str:
    """``incomplete``: scenario -> seconds from the start its last alert needs."""
    text = f"scenarios: {len(complete)} injected ({', '.join(complete) or 'none'})"
    if incomplete:
        missing = ", ".join(f"{name} (needs {need:,.0f} s)" for name, need in incomplete.items())
        text += f"; not complete when the run ended: {missing}"
    return text


def describe_benchmark(result: GenerationBenchmark, profile: str, devices: int) -> str:
    head = (
        f"generated {result.messages:,} messages in {result.elapsed_s:.1f} s: "
        f"{result.rate_per_s:,.0f} events/s "
        f"from one process ({profile}: {devices:,} devices; setup {result.setup_s:.1f} s)"
    )
    return "\n".join([head, *family_table(result.families, result.elapsed_s)])
