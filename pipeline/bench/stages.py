"""``warmcity bench stages``: our per-event work alone, in memory, without Kafka, ClickHouse or Faust.

The simulator's ``city`` mix is generated up front (raw bytes, as devices send them, one event per
message or in gateway envelopes), then ``StageWork.process`` (``pipeline/bench/work.py``: validate,
pseudonymise, event-time check, enrich, watch lists, rule routing, stateful rules on in-process state,
alert book, ClickHouse rows) runs over it in batches of ``process_batch``. The figure is CPU time per
event of this one thread: what the stages cost wherever they run, (a') and the worker included. With
``profile``, cProfile's top functions by own time follow.
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pipeline.contracts.reference import DeviceFamily, PlateWatchEntry
from pipeline.settings import Settings
from pipeline.stages.intake import RawMessage
from pipeline.worker.heap import freeze_heap, tune_collector

if TYPE_CHECKING:
    from pipeline.bench.work import StageWork

VIRTUAL_RATE = 20_000.0  # the mix of 'warmcity bench pipeline'


@dataclass(frozen=True)
class StagesResult:
    events: int
    messages: int
    cpu_s: float
    wall_s: float
    enriched: int
    dead_letters: int
    alerts: int
    profile: str | None = None
    tuned_gc: bool = True

    @property
    def us_per_event(self) -> float:
        return self.cpu_s / self.events * 1e6 if self.events else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "messages": self.messages,
            "cpu_s": round(self.cpu_s, 3),
            "wall_s": round(self.wall_s, 3),
            "cpu_us_per_event": round(self.us_per_event, 1),
            "events_per_s_one_core": round(self.events / self.cpu_s, 1) if self.cpu_s else None,
            "enriched": self.enriched,
            "dead_letters": self.dead_letters,
            "alerts": self.alerts,
            "tuned_gc": self.tuned_gc,
        }


def measure_stages(
    settings: Settings,
    events: int,
    gateway: str = "off",
    window_ms: float = 100.0,
    seed: int = 7,
    watchlist: int = 1_000,
    profile: bool = False,
    tuned_gc: bool = True,
) -> StagesResult:
    work, by_family, messages = city_workload(settings, events, gateway, window_ms, seed, watchlist)
    batch = settings.pipeline.process_batch
    totals = {"enriched": 0, "dead_letters": 0, "alerts": 0}
    now = datetime.now(UTC)

    def run() -> None:
        for family, raws in by_family.items():
            for first in range(0, len(raws), batch):
                out = work.process(raws[first : first + batch], family, now)
                totals["enriched"] += out.enriched
                totals["dead_letters"] += out.dead_letters
                totals["alerts"] += out.alerts

    profiler = cProfile.Profile() if profile else None
    thresholds = gc.get_threshold()
    if tuned_gc:  # as the worker does (pipeline/worker/heap.py)
        tune_collector()
        freeze_heap()
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        if profiler is not None:
            profiler.runcall(run)
        else:
            run()
    finally:
        cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - wall
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    report = None
    if profiler is not None:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
        report = text.getvalue()
    return StagesResult(events, messages, cpu_s, wall_s, profile=report, tuned_gc=tuned_gc, **totals)


def city_workload(
    settings: Settings, events: int, gateway: str, window_ms: float, seed: int, watchlist: int
) -> tuple[StageWork, dict[DeviceFamily, list[RawMessage]], int]:
    """The stages over the ``city`` registry and ``watchlist`` watched plates, and ``events`` events of
    its mix as raw messages by family (20 watched plates injected), with how many messages they are."""
    from pipeline.bench.watchlist import watch_entries, watch_plates
    from pipeline.bench.work import build_stage_work
    from pipeline.city import build_city
    from pipeline.city.records import grid_cell_records
    from pipeline.rules.references import References
    from pipeline.topics import Topics

    city = build_city("city", seed)
    plates = watch_plates(watchlist)
    entries = [PlateWatchEntry.model_validate_json(value) for _, value in watch_entries(plates)]
    refs = References.from_records(
        city.devices, city.sites, city.crowd_zones, city.depots, city.permits, entries,
        grid_cells=grid_cell_records(city),
    )  # fmt: skip
    work = build_stage_work(settings, refs, Topics("bench-stages", settings.kafka.partitions, 1))
    by_family, messages = city_raw_messages(city, events, gateway, window_ms, seed, tuple(plates[:20]))
    return work, by_family, messages


def city_raw_messages(
    city: Any, events: int, gateway: str, window_ms: float, seed: int, watched: tuple[str, ...]
) -> tuple[dict[DeviceFamily, list[RawMessage]], int]:
    """The city mix as raw messages by family (envelopes with ``gateway``), and how many messages."""
    from pipeline.simulate import CitySimulator, SimulationWorld
    from pipeline.simulate.gateway import GatewayBatcher, GatewayScope, OutgoingMessage, gateway_lookup

    start = datetime.now(UTC) - timedelta(seconds=events / VIRTUAL_RATE)
    simulator = CitySimulator(
        SimulationWorld.from_city(city),
        seed,
        VIRTUAL_RATE,
        start=start,
        watched_plates=watched,
        inject_every=1_000,
    )
    generated = iter(simulator)
    batcher = None
    if gateway != "off":
        devices = {device.device_id: device for device in city.devices}
        batcher = GatewayBatcher(gateway_lookup(devices, GatewayScope(gateway)), window_ms)
    outgoing: list[OutgoingMessage] = []
    for _ in range(events):
        message = next(generated)
        if batcher is None:
            outgoing.append(OutgoingMessage(message.family, message.key, message.value, 1))
        else:
            outgoing.extend(batcher.add(message))
    if batcher is not None:
        outgoing.extend(batcher.flush())
    by_family: dict[DeviceFamily, list[RawMessage]] = {}
    for offset, out in enumerate(outgoing):
        by_family.setdefault(out.family, []).append(
            RawMessage(f"raw.{out.family.value}", 0, offset, out.key, out.value)
        )
    return by_family, len(outgoing)
