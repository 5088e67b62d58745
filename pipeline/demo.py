"""The main job: local stack, topics, migrations, reference data, a worker, simulated traffic, alerts on
screen and a summary from ClickHouse. Everything it starts, it stops (also on Ctrl-C)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pipeline.alerts_view import render_alert
from pipeline.privacy_key import with_demo_key
from pipeline.settings import Settings

if TYPE_CHECKING:
    from clickhouse_driver import Client

    from pipeline.simulate import SimulationWorld
    from pipeline.simulate.scenarios.catalogue import ScenarioPlan
    from pipeline.stages.privacy import Pseudonymiser
    from pipeline.topics import Topics

Echo = Callable[[str], None]

# Simulated devices stamp events up to 2 s before sending; rows of this run are those with event_time after
# the start minus this margin.
EVENT_DELAY_MARGIN = timedelta(seconds=3)


@dataclass(frozen=True)
class DemoOptions:
    duration_s: float
    rate_per_s: float
    watch_plate: str
    inject_every: int
    malformed_share: float
    seed: int
    keep_stack: bool


class AlertPrinter(threading.Thread):
    """Prints alerts raised since ``since`` as they arrive, until stopped."""

    def __init__(self, settings: Settings, topic: str, since: datetime, echo: Echo) -> None:
        super().__init__(name="demo-alerts", daemon=True)
        from pipeline.alerts_tail import AlertTail

        # From the beginning, filtered by time: a 'latest' consumer would miss alerts raised before its
        # partitions are assigned.
        self._tail = AlertTail(settings.kafka.bootstrap_servers, topic, from_beginning=True)
        self._since, self._echo = since, echo
        self._stopping = threading.Event()
        self.seen: set[str] = set()

    def run(self) -> None:
        while not self._stopping.is_set():
            for alert in self._tail.poll(0.5):
                if alert.raised_at >= self._since and alert.alert_id not in self.seen:
                    self.seen.add(alert.alert_id)
                    self._echo("  ALERT " + render_alert(alert, ZoneInfo("UTC"), colour=sys.stdout.isatty()))
        self._tail.close()

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=10)


@contextmanager
def demo_worker(settings: Settings, echo: Echo) -> Iterator[subprocess.Popen[bytes]]:
    from pipeline.worker.child import worker_process

    log_path = settings.stack.run_dir / "worker.log"
    # The child resolves the same settings from the same environment.
    with worker_process(os.environ.copy(), log_path) as process:
        echo(f"  worker pid {process.pid}, log {log_path}")
        try:
            yield process
        finally:
            echo("  stopping the worker")
    echo(f"  worker stopped (exit {process.returncode})")


def run_demo(settings: Settings, options: DemoOptions, echo: Echo) -> bool:
    from pipeline.stack import LocalStack, StackError

    stack = LocalStack(settings)
    before = {status.name for status in stack.status() if status.state == "running"}
    echo("[1/6] local stack")
    try:
        for status in stack.up():
            echo(f"  {status.name:<10} {status.state:<9} {status.address:<22} log: {status.log or '-'}")
    except StackError as exc:
        echo(f"  failed: {exc}")
        return False
    try:
        return _run_on_stack(with_demo_key(settings, echo), options, echo)
    finally:
        if options.keep_stack:
            echo("stack left running: `warmcity stack down` stops it")
        elif before:
            echo(f"stack left running: it was running before the demo ({', '.join(sorted(before))})")
        else:
            stopped = stack.down()
            echo(f"stack stopped ({', '.join(stopped) or 'nothing to stop'})")


def _run_on_stack(settings: Settings, options: DemoOptions, echo: Echo) -> bool:
    from pipeline.city import build_city
    from pipeline.contracts import DeviceFamily, PlateWatchEntry
    from pipeline.reference_publish import publish_city, publish_watch_entry
    from pipeline.simulate import CitySimulator, SimulationWorld, run_simulation
    from pipeline.simulate.scenarios.publication import publish_plan_references
    from pipeline.stages.privacy import Pseudonymiser
    from pipeline.storage.client import clickhouse_client
    from pipeline.topics import Topics

    bootstrap = settings.kafka.bootstrap_servers
    topics = Topics.from_settings(settings.kafka)
    _prepare_storage(settings, topics, echo)
    echo("[3/6] reference data and scenarios")
    city = build_city("small", options.seed)
    published = publish_city(bootstrap, topics, city)
    entry = PlateWatchEntry(
        plate=options.watch_plate, category="wanted", reason="demo: armed robbery suspect", priority=2
    )
    publish_watch_entry(bootstrap, topics.ref_plate_watchlist, entry)
    counts = ", ".join(f"{count} {name}" for name, count in published.items())
    echo(f"  {counts}; watch list: {entry.plate}")
    world = SimulationWorld.from_city(city)
    started = datetime.now(UTC)
    plan = _fitting_plan(world, options, started, Pseudonymiser(settings.privacy.key_bytes()))
    publish_plan_references(bootstrap, topics, plan)
    echo(f"  scenarios within {options.duration_s:g} s: {', '.join(plan.scenarios) or 'none'}")

    echo("[4/6] worker")
    with demo_worker(settings, echo) as worker:
        printer = AlertPrinter(settings, topics.alerts, started - timedelta(seconds=1), echo)
        printer.start()
        try:
            echo(
                f"[5/6] simulating {options.rate_per_s:g} events/s of every family "
                f"for {options.duration_s:g} s"
            )
            simulator = CitySimulator(
                world, options.seed, options.rate_per_s, start=started, plan=plan,
                malformed_share=options.malformed_share, watched_plates=[options.watch_plate],
                inject_every=options.inject_every,
            )  # fmt: skip
            summary = run_simulation(
                bootstrap,
                {family: topics.raw(family) for family in DeviceFamily},
                simulator,
                options.rate_per_s,
                duration_s=options.duration_s,
                progress=lambda p: echo(
                    f"  sent {p.sent} events ({p.rate_per_s:.0f}/s), {len(printer.seen)} alerts"
                ),
                progress_every_s=10,
            )
            echo(
                f"  sent {summary.sent}: {summary.injected} of the watched plate, "
                f"{summary.malformed} malformed; {summary.delivered} acknowledged by Kafka"
            )
            if summary.interrupted:
                echo("  interrupted: traffic stopped; storing what was sent (Ctrl-C again stops at once)")
            processed = _wait_processed(settings, worker, echo)
            time.sleep(2 * settings.pipeline.sink_batch_within_s + 1)  # the last alerts' sink flush
            client = clickhouse_client(settings.clickhouse)
        finally:
            printer.stop()
    echo("[6/6] summary from ClickHouse")
    _print_summary(client, started, echo)
    if summary.interrupted:
        raise KeyboardInterrupt
    complete = processed and summary.ok and len(printer.seen) >= 1
    echo("demo complete" if complete else "incomplete: see the messages above")
    return complete


def _prepare_storage(settings: Settings, topics: Topics, echo: Echo) -> None:
    from pipeline.storage.migrate import migrate
    from pipeline.topics import ensure_topics

    echo("[2/6] topics and ClickHouse migrations")
    specs = topics.specs(settings.pipeline.app_id)
    created = ensure_topics(settings.kafka.bootstrap_servers, specs)
    echo(f"  topics: {len(created)} created, {len(specs) - len(created)} already there")
    applied = migrate(settings.clickhouse)
    echo(f"  migrations: {len(applied)} applied; database {settings.clickhouse.database} up to date")


def _fitting_plan(
    world: SimulationWorld, options: DemoOptions, started: datetime, pseudonymiser: Pseudonymiser
) -> ScenarioPlan:
    """The scenarios whose ground truth completes within the demo's duration."""
    from pipeline.simulate.scenarios.catalogue import plan_scenarios, resolve

    start_ts, end = started.timestamp(), started.timestamp() + options.duration_s - 5
    everything = plan_scenarios(world, resolve(["all"]), options.seed, start_ts, pseudonymiser)
    fitting = [name for name in everything.scenarios if (everything.complete_ts(name) or end + 1) <= end]
    return plan_scenarios(world, resolve(fitting), options.seed, start_ts, pseudonymiser)


def _wait_processed(settings: Settings, worker: subprocess.Popen[bytes], echo: Echo) -> bool:
    """Until the worker has committed everything sent to its input topics (at most 120 s)."""
    from pipeline.contracts import DeviceFamily
    from pipeline.topics import Topics
    from pipeline.worker.lag import wait_caught_up

    topics = Topics.from_settings(settings.kafka)
    inputs = [topics.raw(f) for f in DeviceFamily] + [topics.detect, topics.detections]
    group = f"{topics.prefix}-{settings.pipeline.app_id}"
    caught_up = wait_caught_up(settings.kafka.bootstrap_servers, group, inputs, 120)
    if worker.poll() is not None:
        echo(f"  the worker exited with {worker.returncode}: see its log")
    elif not caught_up:
        echo("  the worker had not caught up after 120 s")
    return caught_up and worker.poll() is None


def _print_summary(client: Client, since: datetime, echo: Echo) -> None:
    from pipeline.storage.summary import read_summary

    summary = read_summary(client, since - EVENT_DELAY_MARGIN)
    echo("  rows (this run):")
    for table, count in summary.rows.items():
        echo(f"    {table:<30} {count:>8}")
    echo("  alerts by rule:")
    for rule, severity, count in summary.alerts_by_rule or [("(none)", "", 0)]:
        echo(f"    {rule:<20} {severity:<9} {count:>5}")
    echo("  other families' events:")
    for family, count in summary.events_by_family:
        echo(f"    {family:<20} {count:>8}")
    echo("  plate reads by district:")
    for district, count in summary.reads_by_district:
        echo(f"    {district:<20} {count:>8}")
