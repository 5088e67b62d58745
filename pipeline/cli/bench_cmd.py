"""``warmcity bench``: throughput benchmarks that need no running stack (today: the simulator)."""

from __future__ import annotations

import time
from pathlib import Path

import click
import orjson

from pipeline.city import PROFILES, build_city
from pipeline.contracts.reference import DeviceFamily
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
