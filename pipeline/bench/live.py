"""Phases that run the real ``warmcity worker`` on live traffic: (d) latency at an offered load and (e)
memory with a large watch list. The worker is a black box: the harness only sends raw messages, reads the
alerts topic, counts what ClickHouse stored and reads the worker's memory from /proc.

Both get the source's reference topics copied under their own prefix (registry, sites, zones, depots,
permits, the run's watch list) and their own raw topics, which they fill themselves while the worker runs:

- (d) starts the worker, waits for its reference data, then sends the ``city`` mix in real time with
  ``run_simulation`` (paced at ``rate`` events/s, the simulator's clock on the wall clock) for the warm-up
  and the measured window. Every ``inject_every``-th message is a read of one of ``subjects`` distinct
  watched plates (published to the phase's watch list first), stamped with ``event_time`` = the moment the
  harness hands it to the producer. A consumer thread reads every alert snapshot off the alerts topic;
  latency is the time the harness read it (and, separately, its Kafka timestamp) minus the trigger's
  event time (``pipeline.bench.latency``).
- (e) publishes a watch list of ``watchlist`` entries, starts the worker, waits until it has loaded every
  reference topic, records its memory, then sends ``events`` of the mix as fast as the producer takes them
  and waits until ClickHouse has stored them all, reading the worker's VmRSS/VmHWM every half second.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from pipeline.bench.drained import POLL_S, phase_settings, stored_counter
from pipeline.bench.kafka_io import consumer, copy_topics, partitions_of
from pipeline.bench.latency import AlertSeen, latency_report, match_alerts
from pipeline.bench.layout import RunLayout
from pipeline.bench.processes import Memory, log_tail, memory_of
from pipeline.bench.progress import Progress
from pipeline.bench.results import Drain, PhaseResult, Sample, drain
from pipeline.bench.watchlist import watch_entries, watch_plates
from pipeline.contracts.reference import DeviceFamily
from pipeline.settings import Settings
from pipeline.simulate import MessageKind, SimulatedMessage
from pipeline.topics import REFERENCE_TOPICS, Topics

Echo = Callable[[str], None]
LOADED = "reference data loaded"  # the worker's log line once every reference topic is in memory
RATE_KEPT = 0.98  # achieved / offered at or above this: the sender kept the offered load
SETTLE_S = 2.0  # after the worker said it loaded its references: let its agents take their partitions


@dataclass(frozen=True)
class LatencyOptions:
    rate: float = 5_000.0  # offered events/s
    seconds: float = 60.0  # measured window, after the warm-up
    warmup_s: float = 10.0
    inject_every: int = 200  # every N-th message is a read of a watched plate
    subjects: int = 5_000  # distinct watched plates the injected reads cycle through
    tail_s: float = 30.0  # after the last send: stop waiting for alerts when none came for this long
    seed: int = 7
    profile: str = "city"
    stall_s: float = 180.0
    gateway: str = "off"  # off | site | district: the live traffic in batch envelopes (simulate.gateway)
    gateway_window_ms: float = 100.0


@dataclass(frozen=True)
class MemoryOptions:
    watchlist: int = 1_000_000  # plate watch-list entries on the phase's reference topic
    events: int = 100_000  # the stretch of load processed after the references are loaded
    seed: int = 7
    profile: str = "city"
    stall_s: float = 180.0


def _prepare(base: Settings, layout: RunLayout, phase: str, run_dir: Path, echo: Echo) -> Settings:
    """The phase's settings, every topic of the worker created, its database migrated, the source's
    reference topics copied (its raw topics stay empty: the phase fills them itself)."""
    from pipeline.storage.migrate import migrate
    from pipeline.topics import ensure_topics

    settings = phase_settings(base, layout, phase, run_dir)
    bootstrap, topics = settings.kafka.bootstrap_servers, layout.topics(phase)
    ensure_topics(bootstrap, topics.specs(settings.pipeline.app_id))
    migrate(settings.clickhouse)
    pairs = [(layout.source.reference(name), topics.reference(name)) for name in REFERENCE_TOPICS]
    copy_topics(bootstrap, pairs, f"{layout.group(phase)}-copy", echo)
    return settings


def _publish_watchlist(bootstrap: str, topics: Topics, size: int, echo: Echo) -> list[str]:
    from pipeline.reference_publish import publish_records

    plates = watch_plates(size)
    started = time.monotonic()
    published = publish_records(bootstrap, topics.ref_plate_watchlist, watch_entries(plates), timeout_s=900)
    echo(f"  published {published:,} watch-list entries in {time.monotonic() - started:.1f} s")
    return plates


def wait_for_log(path: Path, text: str, process: Any, timeout_s: float) -> float:
    """Seconds until ``text`` appears in the log at ``path``; raises if the process exits or time runs out."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if path.exists() and text in path.read_text(errors="replace"):
            return time.monotonic() - started
        if process.poll() is not None:
            raise RuntimeError(f"worker exited with {process.returncode}:\n{log_tail(path)}")
        time.sleep(POLL_S)
    raise RuntimeError(f"no '{text}' in {path} within {timeout_s:.0f} s:\n{log_tail(path)}")


class AlertReader:
    """Reads every alert snapshot of a topic in a thread of its own, from its beginning, noting when each
    was read (wall clock) and its Kafka timestamp."""

    def __init__(self, bootstrap: str, topic: str, group: str) -> None:
        self._reader = consumer(bootstrap, group, **{"fetch.wait.max.ms": 10})
        self._topic = topic
        self.seen: list[AlertSeen] = []
        self.timestamp_types: set[int] = set()
        self.undecodable = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alert-reader", daemon=True)
        self.error: str | None = None

    def start(self) -> None:
        from confluent_kafka import OFFSET_BEGINNING

        self._reader.assign(partitions_of(self._reader, [self._topic], OFFSET_BEGINNING))
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                for message in self._reader.consume(num_messages=1_000, timeout=0.1):
                    read_s = time.time()
                    if message.error() is not None:
                        continue
                    kind, stamp = message.timestamp()
                    self.timestamp_types.add(kind)
                    try:
                        alert = orjson.loads(message.value())
                        self.seen.append(
                            AlertSeen(
                                str(alert["alert_id"]), str(alert["rule"]),
                                tuple(str(e) for e in alert["evidence_event_ids"]), read_s,
                                stamp / 1000 if kind and stamp > 0 else None,
                            )
                        )  # fmt: skip
                    except (orjson.JSONDecodeError, KeyError, TypeError):
                        self.undecodable += 1
        except Exception as exc:  # surfaced in the phase's result
            self.error = f"{type(exc).__name__}: {exc}"

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._reader.close()


class StampedTraffic:
    """The simulator's messages, with every injected read re-stamped ``event_time`` = now as it is handed
    to the producer (``run_simulation`` takes each message at its slot, just before producing it), and the
    event time of every message noted by event id."""

    def __init__(self, messages: Iterator[SimulatedMessage]) -> None:
        self._messages = messages
        self.sent: dict[str, float] = {}  # event id -> event time (epoch s), every family
        self.injected: dict[str, float] = {}  # the injected reads only

    def __iter__(self) -> Iterator[SimulatedMessage]:
        for original in self._messages:
            message = original
            if original.kind is MessageKind.INJECTED and original.event_id is not None:
                now = datetime.now(UTC)
                document = orjson.loads(original.value)
                document["event_time"] = now
                value = orjson.dumps(document, option=orjson.OPT_UTC_Z)
                message = replace(original, value=value, event_time=now)
                self.injected[original.event_id] = now.timestamp()
            if message.event_id is not None and message.event_time is not None:
                self.sent[message.event_id] = message.event_time.timestamp()
            yield message


def _simulator(
    profile: str, seed: int, rate: float, start: datetime, watched: list[str], inject_every: int
) -> Any:
    from pipeline.city import build_city
    from pipeline.simulate import CitySimulator, SimulationWorld

    world = SimulationWorld.from_city(build_city(profile, seed))
    return CitySimulator(
        world, seed, rate, start=start, watched_plates=watched, inject_every=inject_every if watched else 0
    )


def _gateway(options: LatencyOptions) -> Any:
    """The batcher of the live traffic; the time an event waits in it counts in its latency."""
    if options.gateway == "off":
        return None
    from pipeline.city import build_city
    from pipeline.simulate.gateway import GatewayBatcher, GatewayScope, gateway_lookup

    devices = {device.device_id: device for device in build_city(options.profile, options.seed).devices}
    return GatewayBatcher(gateway_lookup(devices, GatewayScope(options.gateway)), options.gateway_window_ms)


@dataclass
class _Sent:
    """What (d)'s sending part leaves behind."""

    summary: Any  # SimulationSummary
    traffic: StampedTraffic
    reader: AlertReader
    measured_from_s: float
    samples: list[Sample]
    memory: Memory | None
    exited: int | None
    waited_s: float  # after the last send, for the last alerts


def _wait_for_alerts(
    reader: AlertReader,
    traffic: StampedTraffic,
    since_s: float,
    options: LatencyOptions,
    process: Any,
    echo: Echo,
) -> float:
    """After the last send: until every injected read sent after ``since_s`` has its alert, no new alert
    snapshot came for ``tail_s``, ``stall_s`` passed, or the worker exited. A worker that fell behind the
    offered load still raises the late alerts from its backlog; they are waited for (and count, late)."""
    expected = {event for event, at in traffic.injected.items() if at >= since_s}
    began = last_new = time.monotonic()
    count = len(reader.seen)
    while process.poll() is None:
        now = time.monotonic()
        matched, _ = match_alerts(list(reader.seen), traffic.sent)
        found = expected & {m.event_id for m in matched}
        if found == expected or now - last_new > options.tail_s or now - began > options.stall_s:
            break
        if len(reader.seen) != count:
            count, last_new = len(reader.seen), now
        if int(now - began) % 30 == 0 and now - began >= 1:
            echo(f"  [d] waiting for alerts: {len(found):,} of {len(expected):,} after {now - began:.0f} s")
        time.sleep(1.0)
    return time.monotonic() - began


def _send_live(
    settings: Settings, topics: Topics, run_dir: Path, watched: list[str], options: LatencyOptions, echo: Echo
) -> _Sent:
    from pipeline.simulate import SimulationProgress, run_simulation
    from pipeline.worker.child import settings_env, worker_process

    bootstrap = settings.kafka.bootstrap_servers
    env = {**os.environ, **settings_env(settings), "WARMCITY_PIPELINE_DATA_DIR": str(run_dir / "data-0")}
    log = run_dir / "worker-0.log"
    duration = options.warmup_s + options.seconds
    reader = AlertReader(bootstrap, topics.alerts, f"{settings.kafka.topic_prefix}-alerts")
    samples: list[Sample] = [Sample(0.0, 0)]
    progress = Progress("d", round(options.rate * duration), echo)

    def saw(p: SimulationProgress) -> None:
        sample = Sample(p.elapsed_s, p.sent)
        samples.append(sample)
        progress.saw(sample)

    with worker_process(env, log) as process:
        echo(f"  worker pid {process.pid}, log {log}")
        loaded_s = wait_for_log(log, LOADED, process, options.stall_s)
        echo(f"  worker loaded its reference data after {loaded_s:.1f} s")
        time.sleep(SETTLE_S)
        reader.start()
        simulator = _simulator(
            options.profile, options.seed, options.rate, datetime.now(UTC), watched, options.inject_every
        )
        traffic = StampedTraffic(iter(simulator))
        measured_from_s = time.time() + options.warmup_s
        echo(
            f"  sending {options.rate:,.0f} events/s for {duration:.0f} s ({options.warmup_s:.0f} s warm-up)"
        )
        summary = run_simulation(
            bootstrap, {family: topics.raw(family) for family in DeviceFamily}, traffic, options.rate,
            duration_s=duration, progress=saw, flush_timeout_s=60,
            gateway=_gateway(options),
        )  # fmt: skip
        samples.append(Sample(summary.elapsed_s, summary.sent))
        waited_s = _wait_for_alerts(reader, traffic, measured_from_s, options, process, echo)
        reader.stop()
        memory, exited = memory_of(process.pid), process.poll()
        if exited is not None:
            echo(f"  worker exited with {exited}:\n{log_tail(log)}")
    return _Sent(summary, traffic, reader, measured_from_s, samples, memory, exited, waited_s)


def run_latency(
    base: Settings, layout: RunLayout, run_dir: Path, options: LatencyOptions, echo: Echo
) -> PhaseResult:
    """Phase (d): latency from event time to the alert on the alerts topic at ``options.rate``."""
    began = time.perf_counter()
    settings = _prepare(base, layout, "d", run_dir, echo)
    bootstrap, topics = settings.kafka.bootstrap_servers, layout.topics("d")
    watched = _publish_watchlist(bootstrap, topics, options.subjects, echo) if options.inject_every else []
    sent = _send_live(settings, topics, run_dir, watched, options, echo)
    summary, reader = sent.summary, sent.reader
    matched, unmatched = match_alerts(reader.seen, sent.traffic.sent)
    report = latency_report(matched, unmatched, sent.traffic.injected, sent.measured_from_s)
    offered = round(options.rate * (options.warmup_s + options.seconds))
    achieved = summary.sent / summary.elapsed_s if summary.elapsed_s > 0 else 0.0
    kept = achieved >= RATE_KEPT * options.rate
    errors = [reader.error] if reader.error else []
    if not summary.ok:
        errors.append(f"{summary.failed} messages not delivered ({summary.first_error})")
    if sent.exited is not None:
        errors.append(f"worker exited with {sent.exited}")
    if not report.read.count:
        errors.append("no alert of an injected read after the warm-up was read")
    notes = [
        "latency = when the harness's consumer read the alert minus the trigger's event time (headline); "
        "kafka_timestamp: the alert message's own timestamp instead (timestamp_types: 1 CreateTime, set by "
        "the worker's producer; 2 LogAppendTime, set by the broker)",
    ]
    if not kept:
        notes.append(f"the sender did not keep the offered load: {achieved:,.0f} of {options.rate:,.0f}/s")
    read = report.read.as_dict()
    measures = {
        "offered_per_s": options.rate,
        "achieved_per_s": round(achieved, 1),
        "kept_offered_rate": kept,
        "send_s": round(summary.elapsed_s, 3),
        "waited_after_send_s": round(sent.waited_s, 1),
        "send_began_s": sent.measured_from_s - options.warmup_s,
        "sent": summary.sent,
        "injected": summary.injected,
        "p50_ms": read["p50_ms"],
        "p95_ms": read["p95_ms"],
        "p99_ms": read["p99_ms"],
        "latency": report.as_dict(),
        "alert_snapshots": len(reader.seen),
        "undecodable_alerts": reader.undecodable,
        "timestamp_types": sorted(reader.timestamp_types),
        "options": asdict(options),
    }
    return PhaseResult(
        phase="d",
        events=offered,
        processed=summary.sent,
        drain=Drain(0.0, summary.elapsed_s, summary.sent, complete=summary.sent >= offered),
        wall_s=time.perf_counter() - began,
        outputs={"alerts_read": len(reader.seen), "alerts_matched": len(matched)},
        peak_rss_mb=sent.memory.peak_mb if sent.memory is not None else None,
        samples=tuple(sent.samples),
        error="; ".join(errors) or None,
        notes=tuple(notes),
        measures=measures,
    )


def _distinct_plates(settings: Settings) -> int | None:
    from pipeline.storage.client import clickhouse_client

    try:
        client = clickhouse_client(settings.clickhouse)
        try:
            return int(client.execute("SELECT uniqExact(plate) FROM plate_reads")[0][0])
        finally:
            client.disconnect()
    except Exception:
        return None


def _memory_dict(memory: Memory | None) -> dict[str, float] | None:
    if memory is None:
        return None
    return {"rss_mb": round(memory.rss_mb, 1), "peak_mb": round(memory.peak_mb, 1)}


@dataclass
class _Watched:
    samples: list[Sample]
    timeline: list[tuple[float, float, float]]  # (t_s, rss_mb, peak_mb)
    error: str | None


def _watch_memory(counter: Any, total: int, process: Any, log: Path, stall_s: float, echo: Echo) -> _Watched:
    """Until ``total`` events are stored once, sampling what is stored and the worker's memory."""
    progress = Progress("e", total, echo)
    samples, timeline = [Sample(0.0, 0)], []
    began = last_change = time.perf_counter()
    previous = 0
    while True:
        count = counter.finished()
        now = time.perf_counter()
        sample = Sample(now - began, count)
        samples.append(sample)
        progress.saw(sample)
        memory = memory_of(process.pid)
        if memory is not None:
            timeline.append((sample.t_s, memory.rss_mb, memory.peak_mb))
        if count >= total and counter.processed() >= total:
            return _Watched(samples, timeline, None)
        if count != previous:
            last_change, previous = now, count
        if process.poll() is not None:
            return _Watched(samples, timeline, f"worker exited with {process.returncode}:\n{log_tail(log)}")
        if now - last_change > stall_s:
            return _Watched(samples, timeline, f"no progress for {stall_s:.0f} s at {count:,} of {total:,}")
        time.sleep(POLL_S)


def run_memory(
    base: Settings, layout: RunLayout, run_dir: Path, options: MemoryOptions, echo: Echo
) -> PhaseResult:
    """Phase (e): the worker's peak RSS with ``options.watchlist`` watch-list entries, after a stretch of
    ``options.events`` events."""
    from pipeline.bench.workload import SEND_RATE, VIRTUAL_RATE
    from pipeline.simulate import run_simulation
    from pipeline.worker.child import settings_env, worker_process

    began = time.perf_counter()
    settings = _prepare(base, layout, "e", run_dir, echo)
    bootstrap, topics = settings.kafka.bootstrap_servers, layout.topics("e")
    _publish_watchlist(bootstrap, topics, options.watchlist, echo)
    env = {**os.environ, **settings_env(settings), "WARMCITY_PIPELINE_DATA_DIR": str(run_dir / "data-0")}
    log = run_dir / "worker-0.log"
    counter = stored_counter(settings)
    try:
        with worker_process(env, log) as process:
            echo(f"  worker pid {process.pid}, log {log}")
            loaded_s = wait_for_log(log, LOADED, process, options.stall_s)
            time.sleep(SETTLE_S)
            loaded = memory_of(process.pid)
            echo(f"  worker loaded its reference data after {loaded_s:.1f} s: {_memory_dict(loaded)} MiB")
            start = datetime.now(UTC) - timedelta(seconds=options.events / VIRTUAL_RATE)
            simulator = _simulator(options.profile, options.seed, VIRTUAL_RATE, start, [], 0)
            summary = run_simulation(
                bootstrap, {family: topics.raw(family) for family in DeviceFamily}, simulator, SEND_RATE,
                count=options.events, flush_timeout_s=120,
            )  # fmt: skip
            echo(f"  sent {summary.sent:,} events in {summary.elapsed_s:.1f} s")
            watched = _watch_memory(counter, options.events, process, log, options.stall_s, echo)
            final = memory_of(process.pid)
        processed, outputs = counter.processed(), counter.outputs()
    finally:
        counter.close()
    plates = _distinct_plates(settings)
    peak = final.peak_mb if final is not None else None
    growth = (final.rss_mb - loaded.rss_mb) if final is not None and loaded is not None else None
    every = max(1, len(watched.timeline) // 300)
    measures: dict[str, Any] = {
        "watchlist_entries": options.watchlist,
        "events": options.events,
        "peak_rss_mb": round(peak, 1) if peak is not None else None,
        "after_load": _memory_dict(loaded),
        "at_end": _memory_dict(final),
        "rss_growth_mb": round(growth, 1) if growth is not None else None,
        "distinct_plates": plates,
        "growth_bytes_per_distinct_plate": round(growth * 2**20 / plates) if growth and plates else None,
        "load_s": round(loaded_s, 1),
        "timeline": [[round(t, 1), round(r, 1), round(p, 1)] for t, r, p in watched.timeline[::every]],
    }
    return PhaseResult(
        phase="e",
        events=options.events,
        processed=processed,
        drain=drain(watched.samples, options.events),
        wall_s=time.perf_counter() - began,
        outputs=outputs,
        peak_rss_mb=peak,
        samples=tuple(watched.samples),
        error=watched.error,
        notes=("peak RSS: VmHWM of the worker process (and any children), read from /proc at the end",),
        measures=measures,
    )
