"""Phases measured by what they store, while processes of their own work: (b) the naive Faust app and
(c)/(f) the real ``warmcity worker``. The harness only watches: every half second it counts event rows
in the phase's database and dead letters on its topic (``StoredCounter``), and the processes' memory.

Each phase gets its own topic prefix, database, consumer group (the Faust app id) and data directory.
The worker derives every topic from its prefix, so (c) and (f) get a copy of the source topics first
(outside the measurement); (b) reads the source topics directly.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.bench.kafka_io import copy_topics
from pipeline.bench.layout import RunLayout, copied_topics, output_specs
from pipeline.bench.processes import child_process, cpu_seconds, log_tail, rss_mb
from pipeline.bench.progress import Progress
from pipeline.bench.results import PhaseResult, Sample, drain, sustained
from pipeline.bench.stored import StoredCounter
from pipeline.settings import Settings

Echo = Callable[[str], None]
POLL_S = 0.5


@dataclass(frozen=True)
class WatchOptions:
    warmup_s: float = 10.0
    seconds: float = 60.0  # the sustained window
    stall_s: float = 180.0  # no progress for this long (start-up included): the phase failed


@dataclass(frozen=True)
class Watched:
    samples: list[Sample]
    error: str | None
    peak_rss_mb: float | None
    cpu_s: float = 0.0  # CPU time the phase's process trees used while watched


class CpuMeter:
    """The CPU time of process trees, kept per pid so that a process that has exited still counts."""

    def __init__(self, processes: Sequence[subprocess.Popen[bytes]]) -> None:
        self.processes = processes
        self.used: dict[int, float] = {}
        self.start = self._read()

    def _read(self) -> float:
        for process in self.processes:
            self.used.update(cpu_seconds(process.pid))
        return sum(self.used.values())

    def so_far(self) -> float:
        return self._read() - self.start


def phase_settings(base: Settings, layout: RunLayout, phase: str, run_dir: Path) -> Settings:
    """``base`` with the phase's topic prefix, database, data dir and a free metrics port."""
    return replace(
        base,
        kafka=base.kafka.model_copy(update={"topic_prefix": layout.prefix(phase)}),
        clickhouse=base.clickhouse.model_copy(update={"database": layout.database(phase)}),
        pipeline=base.pipeline.model_copy(update={"metrics_port": 0, "data_dir": run_dir / "data"}),
    )


def watch(
    counter: StoredCounter,
    total: int,
    processes: Sequence[subprocess.Popen[bytes]],
    label: str,
    echo: Echo,
    stall_s: float,
) -> Watched:
    """Until every event is stored once (or dead-lettered), a process exits, or nothing moves for stall_s."""
    start = last_change = time.perf_counter()
    samples, peak, previous = [Sample(0.0, 0)], 0.0, 0
    progress = Progress(label, total, echo)
    cpu = CpuMeter(processes)
    while True:
        count = counter.finished()
        now = time.perf_counter()
        sample = Sample(now - start, count)
        samples.append(sample)
        progress.saw(sample)
        peak = max(peak, sum(rss_mb(p.pid) or 0.0 for p in processes))
        used = cpu.so_far()
        if count >= total and counter.processed() >= total:
            return Watched(samples, None, peak or None, used)
        if count != previous:
            last_change, previous = now, count
        exited = [p for p in processes if p.poll() is not None]
        if exited:
            return Watched(
                samples, f"process {exited[0].pid} exited with {exited[0].returncode}", peak or None, used
            )
        if now - last_change > stall_s:
            return Watched(
                samples, f"no progress for {stall_s:.0f} s at {count:,} of {total:,}", peak or None, used
            )
        time.sleep(POLL_S)


def _result(
    phase: str,
    settings: Settings,
    total: int,
    watched: Watched,
    began: float,
    options: WatchOptions,
    logs: Sequence[Path],
    notes: tuple[str, ...] = (),
) -> PhaseResult:
    counter = stored_counter(settings)
    try:
        processed, found = counter.processed(), counter.outputs()
    finally:
        counter.close()
    error = watched.error
    if error is not None and logs:
        error += "\n" + "\n".join(f"--- {path} ---\n{log_tail(path)}" for path in logs)
    return PhaseResult(
        phase=phase,
        events=total,
        processed=processed,
        drain=drain(watched.samples, total),
        wall_s=time.perf_counter() - began,
        sustained=sustained(watched.samples, total, options.warmup_s, options.seconds),
        outputs=found,
        peak_rss_mb=watched.peak_rss_mb,
        samples=tuple(watched.samples),
        error=error,
        notes=notes,
        measures={
            # Start-up (the registry load) is in it too; per event it is a bound, not the steady cost.
            "worker_cpu_s": round(watched.cpu_s, 2),
            "worker_cpu_us_per_event": round(watched.cpu_s / total * 1e6, 1) if total else None,
        },
    )


def stored_counter(settings: Settings) -> StoredCounter:
    """Counts what a phase's worker stored (ClickHouse rows) and dead-lettered, for its prefix."""
    from pipeline.storage.client import clickhouse_client

    prefix = settings.kafka.topic_prefix
    return StoredCounter(
        clickhouse_client(settings.clickhouse), settings.kafka.bootstrap_servers, f"{prefix}.deadletter",
        f"{prefix}-watch",
    )  # fmt: skip


def run_naive(
    base: Settings, layout: RunLayout, total: int, run_dir: Path, options: WatchOptions, echo: Echo
) -> PhaseResult:
    """Phase (b): ``pipeline.bench.naive_app`` in one process, reading the source topics."""
    from pipeline.storage.migrate import migrate
    from pipeline.topics import ensure_topics
    from pipeline.worker.child import settings_env

    settings = phase_settings(base, layout, "b", run_dir)
    ensure_topics(settings.kafka.bootstrap_servers, output_specs(layout.topics("b")))
    migrate(settings.clickhouse)
    env = {**os.environ, **settings_env(settings)}
    argv = [sys.executable, "-m", "pipeline.bench.naive_app", "--source-prefix", layout.source_prefix]
    log = run_dir / "naive.log"
    began = time.perf_counter()
    counter = stored_counter(settings)
    try:
        with child_process(argv, env, log) as process:
            echo(f"  naive Faust app pid {process.pid}, log {log}")
            watched = watch(counter, total, [process], "b", echo, options.stall_s)
    finally:
        counter.close()
    notes = ("rules' state and the alert book in process: no detect/detections topics, no ticks",)
    return _result("b", settings, total, watched, began, options, [log], notes)


def run_workers(
    base: Settings,
    layout: RunLayout,
    phase: str,
    workers: int,
    total: int,
    run_dir: Path,
    options: WatchOptions,
    echo: Echo,
) -> PhaseResult:
    """Phases (c) and (f): ``workers`` real ``warmcity worker`` processes on a copy of the source topics."""
    from pipeline.storage.migrate import migrate
    from pipeline.topics import ensure_topics
    from pipeline.worker.child import settings_env, worker_process

    settings = phase_settings(base, layout, phase, run_dir)
    bootstrap, topics = settings.kafka.bootstrap_servers, layout.topics(phase)
    ensure_topics(bootstrap, topics.specs(settings.pipeline.app_id))
    migrate(settings.clickhouse)
    copy_topics(bootstrap, copied_topics(layout.source, topics), f"{layout.group(phase)}-copy", echo)
    env = {**os.environ, **settings_env(settings)}
    logs = [run_dir / f"worker-{i}.log" for i in range(workers)]
    began = time.perf_counter()
    counter = stored_counter(settings)
    try:
        with ExitStack() as stack:
            processes = []
            for i, log in enumerate(logs):
                data = {"WARMCITY_PIPELINE_DATA_DIR": str(run_dir / f"data-{i}")}
                processes.append(stack.enter_context(worker_process({**env, **data}, log)))
            echo(f"  worker pid(s) {', '.join(str(p.pid) for p in processes)}, log(s) under {run_dir}")
            watched = watch(counter, total, processes, phase, echo, options.stall_s)
    finally:
        counter.close()
    return _result(phase, settings, total, watched, began, options, logs)
