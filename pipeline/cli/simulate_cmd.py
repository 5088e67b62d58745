"""``warmcity simulate``: publish simulated checkpoint plate reads to the raw plate-read topic."""

from __future__ import annotations

import sys

import click

from pipeline.city import PROFILES, build_city
from pipeline.cli.common import fail, pass_settings
from pipeline.reference_publish import normalise_plate
from pipeline.settings import Settings
from pipeline.simulate import (
    PlateReadGenerator,
    SimulationError,
    SimulationProgress,
    SimulationSummary,
    run_simulation,
)
from pipeline.topics import Topics

DEFAULT_DURATION_S = 30.0
_SHARE = click.FloatRange(0.0, 1.0, max_open=True)


def _plates(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    try:
        return tuple(normalise_plate(value) for value in values)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from exc


@click.command()
@click.option(
    "--profile",
    type=click.Choice(sorted(PROFILES)),
    default="small",
    show_default=True,
    help="City profile whose checkpoints send the reads (device ids depend on the profile only).",
)
@click.option(
    "--seed",
    type=int,
    default=7,
    show_default=True,
    help="Seed of the city and the reads: same seed, same stream.",
)
@click.option(
    "--rate",
    type=click.FloatRange(0.0, min_open=True),
    default=200.0,
    show_default=True,
    help="Events per second (> 0).",
)
@click.option(
    "--duration",
    type=click.FloatRange(0.0, min_open=True),
    default=None,
    help=f"Seconds to send for [default: {DEFAULT_DURATION_S:g} unless --count is given].",
)
@click.option(
    "--count",
    type=click.IntRange(1),
    default=None,
    help="Stop after this many events; with --duration, whichever comes first.",
)
@click.option(
    "--watch-plate",
    "watch_plates",
    multiple=True,
    callback=_plates,
    help="Watched plate to inject, e.g. 蒙K8A888 (repeatable; injected in turn).",
)
@click.option(
    "--inject-every",
    type=click.IntRange(0),
    default=500,
    show_default=True,
    help="Every N-th event is a read of the next --watch-plate (0: never).",
)
@click.option(
    "--malformed-share",
    type=_SHARE,
    default=0.0,
    show_default=True,
    help="Share of events sent malformed, in [0, 1): they must end on the dead-letter topic.",
)
@click.option(
    "--unknown-device-share",
    type=_SHARE,
    default=0.0,
    show_default=True,
    help="Share of events from device ids not in the registry, in [0, 1).",
)
@pass_settings
def simulate(
    settings: Settings,
    profile: str,
    seed: int,
    rate: float,
    duration: float | None,
    count: int | None,
    watch_plates: tuple[str, ...],
    inject_every: int,
    malformed_share: float,
    unknown_device_share: float,
) -> None:
    """Publish simulated plate reads of the city's checkpoints to the raw plate-read topic.

    Key: device_id; value: PlateRead JSON (docs/devices.md). A progress line goes to stderr about once a
    second, a summary to stdout at the end. Exits 1 if any delivery failed, 130 after Ctrl-C.

    Example: warmcity simulate --rate 200 --duration 30 --watch-plate 蒙K8A888 --malformed-share 0.01
    """
    if duration is None and count is None:
        duration = DEFAULT_DURATION_S
    city = build_city(profile, seed)
    generator = PlateReadGenerator(
        city.devices,
        seed,
        watched_plates=watch_plates,
        inject_every=inject_every,
        malformed_share=malformed_share,
        unknown_device_share=unknown_device_share,
    )
    topic = Topics.from_settings(settings.kafka).raw_plate_reads
    bootstrap = settings.kafka.bootstrap_servers
    click.echo(
        f"simulating {len(city.devices)} checkpoints ({profile}, seed {seed}) -> {topic} at {bootstrap}"
    )
    try:
        summary = run_simulation(
            bootstrap, topic, generator, rate, duration_s=duration, count=count, progress=_show_progress
        )
    except SimulationError as exc:
        fail(str(exc))
    if sys.stderr.isatty():
        click.echo(err=True)  # end the progress line
    click.echo(_describe(summary))
    if not summary.ok:
        fail(f"{summary.failed} of {summary.sent} deliveries failed: {summary.first_error}")
    if summary.interrupted:
        fail("interrupted before the end: what was sent was delivered", code=130)


def _show_progress(progress: SimulationProgress) -> None:
    line = (
        f"sent {progress.sent:,} events  {progress.rate_per_s:,.1f} events/s  "
        f"elapsed {progress.elapsed_s:.1f} s"
    )
    if sys.stderr.isatty():  # redraw one line in a terminal; plain lines in logs
        click.echo(f"\r{line}\x1b[K", err=True, nl=False)
    else:
        click.echo(line, err=True)


def _describe(summary: SimulationSummary) -> str:
    s = summary
    stopped = " (interrupted)" if s.interrupted else ""
    return (
        f"sent {s.sent:,} events in {s.elapsed_s:.1f} s ({s.rate_per_s:,.1f} events/s){stopped}: "
        f"delivered {s.delivered:,}, failed {s.failed:,}; "
        f"malformed {s.malformed:,}, injected {s.injected:,}, unknown device {s.unknown_device:,}"
    )
