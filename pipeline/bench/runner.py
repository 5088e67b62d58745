"""One benchmark run: fill the workload once, run each asked phase on it, write the JSON, clean up.

A phase that fails is recorded with its error and the others still run; the run's topics, consumer
groups, databases and worker data are removed at the end unless ``keep`` (the logs stay under the run's
directory). The privacy key is the configured one, or one made for this run only.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from pydantic import SecretStr

from pipeline.bench.ceiling import run_ceiling
from pipeline.bench.drained import WatchOptions, phase_settings, run_naive, run_workers
from pipeline.bench.layout import RunLayout, output_specs
from pipeline.bench.phases import DEFAULT_PHASES, PHASES
from pipeline.bench.report import document
from pipeline.bench.results import Drain, PhaseResult
from pipeline.bench.workload import Workload, WorkloadSpec, fill
from pipeline.contracts.reference import DeviceFamily
from pipeline.settings import PrivacySettings, Settings

Echo = Callable[[str], None]
DEFAULT_OUTPUT = Path(".run/bench/pipeline.json")


@dataclass(frozen=True)
class BenchOptions:
    events: int = 1_000_000
    phases: tuple[str, ...] = DEFAULT_PHASES
    seconds: float = 60.0  # sustained window of (c) and (f)
    warmup_s: float = 10.0
    profile: str = "city"
    seed: int = 7
    watchlist: int = 1_000
    inject_every: int = 1_000
    stall_s: float = 180.0
    keep: bool = False
    output: Path = DEFAULT_OUTPUT
    rate: float = 5_000.0  # (d): offered events/s
    latency_inject_every: int = 200  # (d): every N-th message a read of a watched plate
    latency_subjects: int = 5_000  # (d): distinct watched plates
    latency_tail_s: float = 30.0  # (d): after the last send, stop waiting once no alert came for this long
    memory_watchlist: int = 1_000_000  # (e): watch-list entries
    memory_events: int = 100_000  # (e): events processed after the references are loaded
    plot: bool = True
    gateway: str = "off"  # the workload's raw messages: one event each, or envelopes per site / district
    gateway_window_ms: float = 100.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "phases": list(self.phases), "output": str(self.output)}


@dataclass(frozen=True)
class PhaseContext:
    settings: Settings
    layout: RunLayout
    workload: Workload
    options: BenchOptions
    run_dir: Path
    echo: Echo

    @property
    def watch(self) -> WatchOptions:
        return WatchOptions(self.options.warmup_s, self.options.seconds, self.options.stall_s)


def _phase_a(ctx: PhaseContext) -> PhaseResult:
    raw = [ctx.layout.source.raw(family) for family in DeviceFamily]
    bootstrap = ctx.settings.kafka.bootstrap_servers
    return run_ceiling(
        bootstrap, raw, ctx.options.events, ctx.layout.group("a"), ctx.echo, ctx.options.stall_s
    )


def _phase_a2(ctx: PhaseContext) -> PhaseResult:
    from pipeline.bench.handwritten import run_handwritten
    from pipeline.storage.migrate import migrate
    from pipeline.topics import ensure_topics

    settings = phase_settings(ctx.settings, ctx.layout, "a2", ctx.run_dir / "a2")
    outputs = ctx.layout.topics("a2")
    ensure_topics(settings.kafka.bootstrap_servers, output_specs(outputs))
    migrate(settings.clickhouse)
    return run_handwritten(
        settings, ctx.layout.source, outputs, ctx.layout.group("a2"), ctx.options.events, ctx.echo,
        ctx.options.stall_s,
    )  # fmt: skip


def _phase_b(ctx: PhaseContext) -> PhaseResult:
    return run_naive(ctx.settings, ctx.layout, ctx.options.events, ctx.run_dir / "b", ctx.watch, ctx.echo)


def _workers_phase(phase: str) -> Callable[[PhaseContext], PhaseResult]:
    def run(ctx: PhaseContext) -> PhaseResult:
        workers = PHASES[phase].workers
        return run_workers(
            ctx.settings, ctx.layout, phase, workers, ctx.options.events, ctx.run_dir / phase, ctx.watch,
            ctx.echo,
        )  # fmt: skip

    return run


def _phase_d(ctx: PhaseContext) -> PhaseResult:
    from pipeline.bench.live import LatencyOptions, run_latency

    o = ctx.options
    options = LatencyOptions(
        rate=o.rate, seconds=o.seconds, warmup_s=o.warmup_s, inject_every=o.latency_inject_every,
        subjects=o.latency_subjects, tail_s=o.latency_tail_s, seed=o.seed, profile=o.profile,
        stall_s=o.stall_s, gateway=o.gateway, gateway_window_ms=o.gateway_window_ms,
    )  # fmt: skip
    return run_latency(ctx.settings, ctx.layout, ctx.run_dir / "d", options, ctx.echo)


def _phase_e(ctx: PhaseContext) -> PhaseResult:
    from pipeline.bench.live import MemoryOptions, run_memory

    o = ctx.options
    options = MemoryOptions(
        watchlist=o.memory_watchlist,
        events=o.memory_events,
        seed=o.seed,
        profile=o.profile,
        stall_s=o.stall_s,
    )
    return run_memory(ctx.settings, ctx.layout, ctx.run_dir / "e", options, ctx.echo)


PHASE_RUNNERS: Mapping[str, Callable[[PhaseContext], PhaseResult]] = {
    "a": _phase_a,
    "a2": _phase_a2,
    "b": _phase_b,
    "c": _workers_phase("c"),
    "d": _phase_d,
    "e": _phase_e,
    "f": _workers_phase("f"),
}


def with_run_key(settings: Settings) -> Settings:
    if settings.privacy.hmac_key.get_secret_value():
        return settings
    return replace(settings, privacy=PrivacySettings(hmac_key=SecretStr(secrets.token_hex(32))))


@dataclass(frozen=True)
class BenchRun:
    results: list[PhaseResult]
    document: dict[str, Any]  # as written to ``BenchOptions.output``
    plot: Path | None = None  # the PNG written next to it


def run_benchmark(settings: Settings, options: BenchOptions, echo: Echo, command: str = "") -> BenchRun:
    """Run, write ``options.output`` and return the phases' results with the document written."""
    from pipeline.bench.machine import conditions

    settings = with_run_key(settings)
    layout = RunLayout.new(datetime.now(UTC), settings.kafka.partitions, settings.kafka.reference_partitions)
    run_dir = options.output.parent / layout.tag
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    machine = conditions(settings.stack.kafka_version, _clickhouse_version(settings))
    results: list[PhaseResult] = []
    workload: Workload | None = None
    error = None
    echo(f"run {layout.tag}: topics {layout.source_prefix}*, databases {layout.database_prefix}*")
    echo(f"  logs under {run_dir}")
    try:
        echo(f"[fill] {options.events:,} events of the {options.profile} profile")
        spec = WorkloadSpec(
            options.events, options.profile, options.seed, options.watchlist, options.inject_every,
            gateway=options.gateway, gateway_window_ms=options.gateway_window_ms,
        )  # fmt: skip
        workload = fill(settings.kafka.bootstrap_servers, layout, spec, echo)
        context = PhaseContext(settings, layout, workload, options, run_dir, echo)
        for phase in options.phases:
            spec_ = PHASES[phase]
            echo(f"[{phase}] {spec_.label} {spec_.title}")
            result = _run_phase(phase, context)
            results.append(result)
            echo(_summary(result))
    except Exception as exc:  # the fill failed: nothing to measure, but the document says why
        error = f"{type(exc).__name__}: {exc}"
        echo(f"  failed: {error}")
    finally:
        if not options.keep:
            clean_up(settings, layout, run_dir, echo)
    machine["load_average_end"] = (
        [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    )
    found = document(
        tag=layout.tag,
        created_at=created_at,
        command=command,
        options=options.as_dict(),
        workload=workload.as_dict() if workload is not None else None,
        machine=machine,
        results=results,
        error=error,
    )
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_bytes(orjson.dumps(found, option=orjson.OPT_INDENT_2) + b"\n")
    plot = None
    if options.plot:
        from pipeline.bench.plot import plot_path, write_plot

        try:
            plot = write_plot(found, plot_path(options.output))
        except Exception as exc:  # a plot that cannot be drawn must not lose the results
            echo(f"  plot not written: {type(exc).__name__}: {exc}")
    return BenchRun(results, found, plot)


def _run_phase(phase: str, context: PhaseContext) -> PhaseResult:
    began = time.perf_counter()
    try:
        return PHASE_RUNNERS[phase](context)
    except Exception as exc:
        context.echo("  " + "".join(traceback.format_exception_only(exc)).strip())
        return PhaseResult(
            phase=phase,
            events=context.options.events,
            processed=0,
            drain=Drain(0.0, 0.0, 0, complete=False),
            wall_s=time.perf_counter() - began,
            error=f"{type(exc).__name__}: {exc}",
        )


def _summary(result: PhaseResult) -> str:
    state = "ok" if result.complete else f"INCOMPLETE ({result.error or 'events missing'})"
    return (
        f"  {result.processed:,} of {result.events:,} events, {result.events_per_s:,.0f} events/s "
        f"over {result.drain.elapsed_s:.1f} s (phase {result.wall_s:.0f} s): {state}"
    )


def _clickhouse_version(settings: Settings) -> str | None:
    from pipeline.storage.client import clickhouse_client

    try:
        client = clickhouse_client(settings.clickhouse, database="")
        try:
            return str(client.execute("SELECT version()")[0][0])
        finally:
            client.disconnect()
    except Exception:
        return None


def clean_up(settings: Settings, layout: RunLayout, run_dir: Path, echo: Echo) -> None:
    """Drop the run's topics, consumer groups and databases, and the workers' data directories."""
    from pipeline.bench.kafka_io import delete_groups
    from pipeline.storage.client import clickhouse_client
    from pipeline.topics import delete_topics

    bootstrap = settings.kafka.bootstrap_servers
    try:
        topics = delete_topics(bootstrap, layout.source_prefix)
        groups = delete_groups(bootstrap, layout.source_prefix)
        client = clickhouse_client(settings.clickhouse, database="")
        try:
            databases = [str(row[0]) for row in client.execute("SHOW DATABASES")]
            dropped = [name for name in databases if name.startswith(layout.database_prefix)]
            for name in dropped:
                client.execute(f"DROP DATABASE IF EXISTS `{name}`")
        finally:
            client.disconnect()
    except Exception as exc:  # cleaning up must not hide the results
        echo(f"  clean-up incomplete: {exc}; remove {layout.source_prefix}* by hand")
        return
    for data in run_dir.glob("*/data*"):
        shutil.rmtree(data, ignore_errors=True)
    echo(
        f"  removed {len(topics)} topics, {len(groups)} consumer groups, {len(dropped)} databases "
        "(--keep leaves them)"
    )
