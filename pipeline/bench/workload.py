"""The run's one workload: the city's registry and a plate watch list on the source reference topics, and
``events`` simulated messages of every family on the source raw topics. Filled once; every phase reads it.

Event times are placed so that the last one is about now (the intake refuses events more than a few
minutes ahead), on the virtual clock of ``warmcity bench simulate``: its rate shapes the mix of families
and event types, not the speed. Every ``inject_every``-th message is a read of a watched plate at that
plate's own checkpoint, so the watch-list rule raises alerts at a known rate.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.bench.layout import RunLayout, source_specs
from pipeline.bench.watchlist import watch_entries, watch_plates
from pipeline.contracts.reference import DeviceFamily

VIRTUAL_RATE = 20_000.0  # as in 'warmcity bench simulate': the mix (heartbeat share), not the speed
SEND_RATE = 1e9  # as fast as the producer takes them
WATCHED = 20  # watch-list plates that are injected into the traffic


@dataclass(frozen=True)
class WorkloadSpec:
    events: int
    profile: str = "city"
    seed: int = 7
    watchlist: int = 1_000
    inject_every: int = 1_000
    gateway: str = "off"  # off | site | district (pipeline.simulate.gateway)
    gateway_window_ms: float = 100.0


@dataclass(frozen=True)
class Workload:
    spec: WorkloadSpec
    families: dict[str, int]  # events per family
    mean_message_bytes: float
    devices: int
    reference_records: dict[str, int]
    fill_s: float
    fill_events_per_s: float
    watched_plates: tuple[str, ...] = field(default=())
    raw_messages: int = 0  # messages on the raw topics (fewer than events with gateway envelopes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": self.spec.events,
            "profile": self.spec.profile,
            "seed": self.spec.seed,
            "watchlist_entries": self.spec.watchlist,
            "inject_every": self.spec.inject_every,
            "gateway": self.spec.gateway,
            "gateway_window_ms": self.spec.gateway_window_ms,
            "raw_messages": self.raw_messages,
            "events_per_message": round(self.spec.events / max(1, self.raw_messages), 2),
            "families": self.families,
            "mean_message_bytes": round(self.mean_message_bytes, 1),
            "devices": self.devices,
            "reference_records": self.reference_records,
            "fill_s": round(self.fill_s, 2),
            "fill_events_per_s": round(self.fill_events_per_s, 1),
        }


def fill(bootstrap: str, layout: RunLayout, spec: WorkloadSpec, echo: Callable[[str], None]) -> Workload:
    """Create the source topics, publish the reference data, simulate the events onto the raw topics."""
    from pipeline.city import build_city
    from pipeline.reference_publish import publish_city, publish_records
    from pipeline.simulate import CitySimulator, SimulationWorld, run_simulation
    from pipeline.simulate.gateway import GatewayBatcher, GatewayScope, gateway_lookup
    from pipeline.topics import ensure_topics

    topics = layout.source
    ensure_topics(bootstrap, source_specs(topics))
    city = build_city(spec.profile, spec.seed)
    published = publish_city(bootstrap, topics, city, timeout_s=120)
    plates = watch_plates(spec.watchlist)
    published["watchlist.plates"] = publish_records(
        bootstrap, topics.ref_plate_watchlist, watch_entries(plates), timeout_s=300
    )
    echo(f"  reference data: {', '.join(f'{n:,} {name}' for name, n in published.items())}")
    world = SimulationWorld.from_city(city)
    watched = tuple(plates[:WATCHED])
    simulator = CitySimulator(
        world,
        spec.seed,
        VIRTUAL_RATE,
        start=datetime.now(UTC) - timedelta(seconds=spec.events / VIRTUAL_RATE),
        watched_plates=watched,
        inject_every=spec.inject_every if watched else 0,
    )
    gateway = None
    if spec.gateway != "off":
        devices = {device.device_id: device for device in world.devices}
        gateway = GatewayBatcher(gateway_lookup(devices, GatewayScope(spec.gateway)), spec.gateway_window_ms)
    started = time.monotonic()
    summary = run_simulation(
        bootstrap,
        {family: topics.raw(family) for family in DeviceFamily},
        simulator,
        SEND_RATE,
        count=spec.events,
        progress=lambda p: echo(f"  filled {p.sent:,} of {spec.events:,} ({p.rate_per_s:,.0f}/s)"),
        progress_every_s=10,
        flush_timeout_s=120,
        gateway=gateway,
    )
    fill_s = time.monotonic() - started
    if not summary.ok:
        raise RuntimeError(f"filling the raw topics: {summary.failed} not delivered ({summary.first_error})")
    total_bytes = sum(t.bytes for t in summary.families.values())
    families = {family.value: tally.sent for family, tally in summary.families.items()}
    echo(
        f"  {summary.sent:,} events in {fill_s:.1f} s: "
        + ", ".join(f"{n:,} {f}" for f, n in families.items())
    )
    return Workload(
        spec=spec,
        families=families,
        mean_message_bytes=total_bytes / max(1, summary.sent),
        devices=len(world.devices),
        reference_records=published,
        fill_s=fill_s,
        fill_events_per_s=summary.sent / fill_s if fill_s > 0 else 0.0,
        watched_plates=watched,
        raw_messages=raw_message_count(bootstrap, [topics.raw(family) for family in DeviceFamily]),
    )


def raw_message_count(bootstrap: str, topics: list[str]) -> int:
    """Messages on ``topics`` (their end offsets: the topics are new, so they start at 0)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "warmcity-bench-count"})
    try:
        total = 0
        for topic in topics:
            for partition in consumer.list_topics(topic, timeout=10).topics[topic].partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
                total += high - low
        return total
    finally:
        consumer.close()
