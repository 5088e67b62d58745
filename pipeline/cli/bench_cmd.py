"""``warmcity bench``: throughput benchmarks: the simulator alone (no stack), and the pipeline on the local
stack against its ceiling and its peers (``pipeline.bench``)."""

from __future__ import annotations

import secrets
import time
from dataclasses import replace
from pathlib import Path

import click
import orjson
from pydantic import SecretStr

from pipeline.city import PROFILES, build_city
from pipeline.cli.common import fail, gateway_options, pass_settings
from pipeline.contracts.reference import DeviceFamily
from pipeline.settings import PrivacySettings, Settings
from pipeline.simulate import CitySimulator, SimulationWorld, measure_generation
from pipeline.simulate.report import describe_benchmark

DEFAULT_OUTPUT = Path(".run/bench/simulate.json")
BENCH_RATE = 20_000.0  # the virtual clock's rate: it shapes the mix (heartbeat share), not the speed


@click.group()
def bench() -> None:
    """Measure how fast parts of the pipeline run on this machine."""


@bench.command("simulate")
@click.option(
    "--profile",
    type=click.Choice(sorted(PROFILES)),
    default="city",
    show_default=True,
    help="City profile whose devices generate.",
)
@click.option(
    "--seconds",
    type=click.FloatRange(0.0, min_open=True),
    default=10.0,
    show_default=True,
    help="How long to generate for.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the city and the traffic.")
@click.option(
    "--rate",
    type=click.FloatRange(0.0, min_open=True),
    default=BENCH_RATE,
    show_default=True,
    help="Rate of the virtual send clock, events/s: sets the mix and event times only.",
)
@click.option(
    "--malformed-share",
    type=click.FloatRange(0.0, 1.0, max_open=True),
    default=0.0,
    show_default=True,
    help="Share of messages broken, as in 'warmcity simulate'.",
)
@click.option(
    "--duplicate-share",
    type=click.FloatRange(0.0, 1.0, max_open=True),
    default=0.0,
    show_default=True,
    help="Share of messages retried.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_OUTPUT,
    show_default=True,
    help="Where the JSON result goes.",
)
def bench_simulate(
    profile: str,
    seconds: float,
    seed: int,
    rate: float,
    malformed_share: float,
    duplicate_share: float,
    output: Path,
) -> None:
    """Generate the city's traffic (build events, serialise to JSON bytes, no Kafka) from one process for
    --seconds; print events/s overall and per family and write them as JSON.

    Example: warmcity bench simulate --profile city --seconds 10
    """  # fmt: skip
    began = time.perf_counter()
    world = SimulationWorld.from_city(build_city(profile, seed))
    simulator = CitySimulator(
        world, seed, rate, malformed_share=malformed_share, duplicate_share=duplicate_share
    )
    setup_s = time.perf_counter() - began
    click.echo(
        f"generating for {seconds:g} s ({profile}, seed {seed}; setup took {setup_s:.1f} s) ...", err=True
    )
    result = measure_generation(simulator, seconds, setup_s)
    click.echo(describe_benchmark(result, profile, len(world.devices)))
    document = {
        "benchmark": "simulate",
        "profile": profile,
        "seed": seed,
        "virtual_rate_per_s": rate,
        "devices": len(world.devices),
        "devices_by_family": {f.value: len(world.devices_of(f)) for f in DeviceFamily},
        **result.as_dict(),
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    click.echo(f"result -> {output}")


@bench.command("stages")
@click.option("--events", type=click.IntRange(1), default=100_000, show_default=True,
              help="Events of the city mix to generate and process.")  # fmt: skip
@gateway_options
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the city and the traffic.")
@click.option("--profile/--no-profile", default=False, show_default=True,
              help="Also print cProfile's top functions by own time (the figure is then "
              "inflated).")  # fmt: skip
@click.option("--tuned-gc/--default-gc", default=True, show_default=True,
              help="Tune and freeze the garbage collector after set-up, as the worker does.")  # fmt: skip
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path(".run/bench/stages.json"), show_default=True,
              help="Where the JSON result goes.")  # fmt: skip
@pass_settings
def bench_stages(
    settings: Settings,
    events: int,
    gateway: str,
    gateway_window_ms: float,
    seed: int,
    profile: bool,
    tuned_gc: bool,
    output: Path,
) -> None:
    """Our per-event work alone, in memory: the city mix through the stages, the rules, the alert book and
    the ClickHouse row mapping (what (a') and the worker both do), without Kafka, ClickHouse or Faust.
    Prints CPU microseconds per event of one thread.

    Example: warmcity bench stages --events 100000 --gateway district
    """  # fmt: skip
    from pipeline.bench.stages import measure_stages

    click.echo(f"generating {events:,} events of the city mix (gateway {gateway}) ...", err=True)
    result = measure_stages(
        _with_run_key(settings), events, gateway, gateway_window_ms, seed, profile=profile, tuned_gc=tuned_gc
    )
    click.echo(
        f"{result.events:,} events in {result.messages:,} messages: {result.us_per_event:.1f} µs of CPU per "
        f"event ({result.events / result.cpu_s:,.0f} events/s on one core); {result.enriched:,} enriched, "
        f"{result.dead_letters:,} dead letters, {result.alerts:,} alerts"
    )
    if result.profile:
        click.echo(result.profile)
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {"benchmark": "stages", "gateway": gateway, "gateway_window_ms": gateway_window_ms,
                "seed": seed, "profiled": profile, **result.as_dict()}  # fmt: skip
    output.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    click.echo(f"result -> {output}")


def _with_run_key(settings: Settings) -> Settings:
    """``settings`` with a pseudonymisation key for this run only when none is set: in-memory benchmarks
    send nothing out of the process."""
    if settings.privacy.hmac_key.get_secret_value():
        return settings
    return replace(settings, privacy=PrivacySettings(hmac_key=SecretStr(secrets.token_hex(32))))


@bench.command("storage")
@click.option("--events", type=click.IntRange(1), default=200_000, show_default=True,
              help="Events of the city mix to generate, map to rows and store.")  # fmt: skip
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the city and the traffic.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path(".run/bench/storage.json"), show_default=True,
              help="Where the JSON result (per table and per column) goes.")  # fmt: skip
@pass_settings
def bench_storage(settings: Settings, events: int, seed: int, output: Path) -> None:
    """Disk per event of the stored tables, with ClickHouse's default LZ4 and as migrated (the column
    codecs of migration 0007), on an in-process ClickHouse (chDB, a development dependency). The sink's
    rows for the city mix are inserted into both; the materialized views fill the analyst tables.

    Example: warmcity bench storage --events 200000
    """  # fmt: skip
    from pipeline.bench.storage_size import StorageBenchError, event_rows, measure_storage

    click.echo(f"generating {events:,} events of the city mix and their rows ...", err=True)
    rows = event_rows(_with_run_key(settings), events, seed)
    click.echo("storing them twice in chDB (default LZ4, then as migrated) ...", err=True)
    try:
        result = measure_storage(rows, events)
    except StorageBenchError as exc:
        fail(str(exc))
    click.echo(f"{events:,} events on ClickHouse {result.server_version} (chDB); compressed bytes on disk:")
    heads = (("rows", 9), ("uncompressed", 13), ("LZ4 only", 11), ("migrated", 11), ("saved", 6),
             ("B/event", 8))  # fmt: skip
    click.echo(f"{'table':<26} " + " ".join(f"{head:>{width}}" for head, width in heads))
    for table, (raw, lz4, migrated) in result.tables().items():
        saved = 1 - migrated / lz4 if lz4 else 0.0
        count = result.rows.get(table)
        click.echo(
            f"{table:<26} {count if count is not None else '':>9} {raw:>13,} {lz4:>11,} {migrated:>11,} "
            f"{saved:>6.0%} {migrated / events:>8.1f}"
        )
    raw, lz4, migrated = (sum(sizes) for sizes in zip(*result.tables().values(), strict=True))
    saved = 1 - migrated / max(lz4, 1)
    click.echo(f"{'total':<26} {'':>9} {raw:>13,} {lz4:>11,} {migrated:>11,} {saved:>6.0%} "
               f"{migrated / events:>8.1f}")  # fmt: skip
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {"benchmark": "storage", "seed": seed, **result.as_dict()}
    output.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    click.echo(f"result -> {output}")


def _phases(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    from pipeline.bench.phases import PhaseError, parse_phases

    try:
        return parse_phases(value)
    except PhaseError as exc:
        raise click.BadParameter(str(exc)) from exc


@bench.command("pipeline")
@click.option("--events", type=click.IntRange(1), default=1_000_000, show_default=True,
              help="Events the simulator puts on the raw topics; each phase processes them all.")  # fmt: skip
@click.option("--phases", default="a,a2,b,c", show_default=True, callback=_phases,
              help="Comma-separated: a (ceiling), a2 (hand-written loop), b (naive Faust), "
              "c (our worker), d (latency to the alert at --rate), e (memory with --memory-watchlist), "
              "f (two workers).")  # fmt: skip
@click.option("--seconds", type=click.FloatRange(0.0, min_open=True), default=60.0, show_default=True,
              help="Sustained window of (c)/(f) after the warm-up, and how long (d) sends after its "
              "warm-up; shorter for smoke tests.")  # fmt: skip
@click.option("--warmup", type=click.FloatRange(0.0), default=10.0, show_default=True,
              help="Seconds after the first stored row before the sustained window starts; (d) sends "
              "this long before its latencies count.")  # fmt: skip
@click.option("--profile", type=click.Choice(sorted(PROFILES)), default="city", show_default=True,
              help="City profile of the registry and the traffic mix.")  # fmt: skip
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the city and the traffic.")
@click.option("--watchlist", type=click.IntRange(0), default=1_000, show_default=True,
              help="Plates on the watch list (20 of them are injected into the traffic).")  # fmt: skip
@click.option("--inject-every", type=click.IntRange(0), default=1_000, show_default=True,
              help="Every N-th event is a read of a watched plate (0: none).")  # fmt: skip
@gateway_options
@click.option("--stall-timeout", type=click.FloatRange(1.0), default=180.0, show_default=True,
              help="A phase that makes no progress for this long (start-up included) fails.")  # fmt: skip
@click.option("--rate", type=click.FloatRange(0.0, min_open=True), default=5_000.0, show_default=True,
              help="(d): offered load, events/s of the city mix sent in real time "
              "(event time = now).")  # fmt: skip
@click.option("--latency-inject-every", type=click.IntRange(1), default=200, show_default=True,
              help="(d): every N-th message is a read of a watched plate; its alert is "
              "what is timed.")  # fmt: skip
@click.option("--latency-subjects", type=click.IntRange(1), default=5_000, show_default=True,
              help="(d): distinct watched plates the injected reads cycle through (the alert book "
              "merges repeats of one plate into its open alert).")  # fmt: skip
@click.option("--latency-tail", type=click.FloatRange(0.0), default=30.0, show_default=True,
              help="(d): after the last send, wait for the last alerts until none came for this long "
              "(a worker behind the load raises them late; at most --stall-timeout).")  # fmt: skip
@click.option("--memory-watchlist", type=click.IntRange(0), default=1_000_000, show_default=True,
              help="(e): plate watch-list entries on the worker's reference topic.")  # fmt: skip
@click.option("--memory-events", type=click.IntRange(1), default=100_000, show_default=True,
              help="(e): events of the mix the worker processes after loading its references.")  # fmt: skip
@click.option("--plot/--no-plot", default=True, show_default=True,
              help="Write a PNG next to the JSON (same name, .png): events/s per phase, (d)'s latency "
              "distribution, (e)'s memory, with the targets.")  # fmt: skip
@click.option("--keep", is_flag=True, help="Leave the run's topics, consumer groups and databases.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path(".run/bench/pipeline.json"), show_default=True,
              help="Where the JSON result goes; the phases' logs go next to it.")  # fmt: skip
@pass_settings
def bench_pipeline(
    settings: Settings,
    events: int,
    phases: tuple[str, ...],
    seconds: float,
    warmup: float,
    profile: str,
    seed: int,
    watchlist: int,
    inject_every: int,
    gateway: str,
    gateway_window_ms: float,
    stall_timeout: float,
    rate: float,
    latency_inject_every: int,
    latency_subjects: int,
    latency_tail: float,
    memory_watchlist: int,
    memory_events: int,
    plot: bool,
    keep: bool,
    output: Path,
) -> None:
    """Measure the pipeline against its ceiling and its peers on the local stack, on one workload.

    Fills one set of raw topics with --events simulated events (registry and watch list on the reference
    topics), then runs each phase on them, each with its own topics, consumer group and database:
    (a) a confluent-kafka loop that reads and decodes; (a') a hand-written confluent-kafka loop doing our
    work (validate, pseudonymise, enrich, watch list, rules, alerts, ClickHouse insert, commit after it);
    (b) a minimal Faust app doing it one event at a time; (c) the real worker end to end, from its start
    to the last row in ClickHouse, and sustained over --seconds after --warmup; (d) the worker's latency
    from an event's time to its alert on the alerts topic (p50/p95/p99) while the city mix is sent live at
    --rate; (e) the worker's peak RSS with a --memory-watchlist watch list after --memory-events events;
    (f) two workers. Prints events/s per phase, the ratios (c)/(a), (c)/(a'), (c)/(b) and the targets of
    (d) and (e), writes them as JSON and a PNG plot, removes what it created unless --keep. Starts the
    local stack if needed (and stops it after, if it started it).

    Example: warmcity bench pipeline --events 200000 --phases a,a2,c --seconds 20
    """  # fmt: skip
    import sys

    from pipeline.bench.report import run_limits, run_ratios
    from pipeline.bench.runner import BenchOptions, run_benchmark
    from pipeline.bench.table import render_table
    from pipeline.stack import LocalStack, StackError

    stack = LocalStack(settings)
    running_before = any(status.state == "running" for status in stack.status())
    try:
        stack.up()
    except StackError as exc:
        fail(str(exc))
    options = BenchOptions(
        events=events, phases=phases, seconds=seconds, warmup_s=warmup, profile=profile, seed=seed,
        watchlist=watchlist, inject_every=inject_every, stall_s=stall_timeout, keep=keep, output=output,
        rate=rate, latency_inject_every=latency_inject_every, latency_subjects=latency_subjects,
        latency_tail_s=latency_tail, memory_watchlist=memory_watchlist, memory_events=memory_events,
        plot=plot, gateway=gateway, gateway_window_ms=gateway_window_ms,
    )  # fmt: skip
    try:
        run = run_benchmark(settings, options, click.echo, command=" ".join(["warmcity", *sys.argv[1:]]))
    finally:
        if not running_before and not keep:
            click.echo(f"stack stopped ({', '.join(stack.down()) or 'nothing to stop'})")
    click.echo("")
    click.echo(render_table(run.results, run_ratios(run.results), run_limits(run.results)))
    click.echo(f"result -> {output}" + (f", plot -> {run.plot}" if run.plot is not None else ""))
    if not run.document["complete"]:
        fail("not every phase processed every event: see the messages above and the JSON")
