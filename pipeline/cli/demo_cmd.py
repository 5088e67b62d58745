"""``warmcity demo``: the main job, end to end on the local stack, with alerts on screen."""

from __future__ import annotations

import click

from pipeline.cli.common import fail, pass_settings
from pipeline.settings import Settings

DEFAULT_WATCHED_PLATE = "蒙K8A888"


@click.command()
@click.option(
    "--duration", type=click.FloatRange(min=1), default=60, show_default=True, help="Seconds of traffic."
)
@click.option(
    "--rate", type=click.FloatRange(min=1), default=200, show_default=True, help="Plate reads per second."
)
@click.option(
    "--watch-plate", default=DEFAULT_WATCHED_PLATE, show_default=True, help="Plate put on the watch list."
)
@click.option("--inject-every", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Every N-th read is the watched plate at some checkpoint.")  # fmt: skip
@click.option("--malformed-share", type=click.FloatRange(0, 1, max_open=True), default=0.005,
              show_default=True, help="Share of malformed messages (dead-lettered).")  # fmt: skip
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the city and the traffic.")
@click.option(
    "--keep-stack", is_flag=True, help="Leave Kafka and ClickHouse running afterwards (for queries)."
)
@pass_settings
def demo(
    settings: Settings,
    duration: float,
    rate: float,
    watch_plate: str,
    inject_every: int,
    malformed_share: float,
    seed: int,
    keep_stack: bool,
) -> None:
    """Run the whole pipeline once on this machine and show what it does.

    Starts the local Kafka and ClickHouse, creates the topics, applies the migrations, publishes the
    `small` city's device registry and a watch list with one wanted plate, starts a worker, simulates
    checkpoint traffic for --duration seconds with that plate injected and some malformed messages,
    prints alerts as they arrive, then a summary read back from ClickHouse. Ctrl-C stops everything.
    Everything the demo started is stopped at the end unless --keep-stack is given.
    """
    from pipeline.demo import DemoOptions, run_demo

    options = DemoOptions(duration, rate, watch_plate, inject_every, malformed_share, seed, keep_stack)
    try:
        ok = run_demo(settings, options, click.echo)
    except KeyboardInterrupt:
        fail("interrupted: everything the demo started was stopped", code=130)
    if not ok:
        fail("the demo did not complete: see the messages above")
