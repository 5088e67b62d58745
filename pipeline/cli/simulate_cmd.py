"""``warmcity simulate``: publish the city's simulated device traffic, every family to its raw topic."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from pipeline.city import PROFILES, build_city
from pipeline.cli.common import fail, gateway_options, pass_settings
from pipeline.contracts.reference import DeviceFamily
from pipeline.reference_publish import PublishError, normalise_plate
from pipeline.settings import Settings
from pipeline.simulate import (
    CitySimulator,
    SimulationError,
    SimulationProgress,
    SimulationWorld,
    default_ground_truth_path,
    run_simulation,
    utc_now,
    write_ground_truth,
)
from pipeline.simulate.gateway import GatewayBatcher, GatewayScope, gateway_lookup
from pipeline.simulate.report import ProgressRates, describe_run, describe_scenarios
from pipeline.simulate.scenarios import ALL, SCENARIOS, ScenarioError, plan_scenarios, resolve
from pipeline.simulate.scenarios.publication import publish_plan_references
from pipeline.stages.privacy import Pseudonymiser
from pipeline.topics import Topics

DEFAULT_DURATION_S = 30.0
_SHARE = click.FloatRange(0.0, 1.0, max_open=True)
F = TypeVar("F", bound=Callable[..., Any])


def _plates(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    try:
        return tuple(normalise_plate(value) for value in values)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from exc


def _share(name: str, text: str) -> Callable[[F], F]:
    return click.option(name, type=_SHARE, default=0.0, show_default=True, help=f"{text}, in [0, 1).")


@click.command()
@click.option(
    "--profile",
    type=click.Choice(sorted(PROFILES)),
    default="small",
    show_default=True,
    help="City profile whose devices send (device ids depend on the profile only).",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the city and the traffic.")
@click.option(
    "--rate",
    type=click.FloatRange(0.0, min_open=True),
    default=200.0,
    show_default=True,
    help="Events per second, all families together (> 0).",
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
    "--family",
    "families",
    multiple=True,
    type=click.Choice([f.value for f in DeviceFamily]),
    help="Only these families' devices send (repeatable) [default: all].",
)
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    type=click.Choice([*SCENARIOS, ALL]),
    help="Inject a known situation and write its ground truth (repeatable; 'all': every one).",
)
@click.option(
    "--ground-truth",
    "ground_truth",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where the ground truth goes [default: .run/ground-truth/<UTC time>.jsonl].",
)
@click.option(
    "--watch-plate",
    "watch_plates",
    multiple=True,
    callback=_plates,
    help="Watched plate to inject at its own checkpoint, e.g. 蒙K8A888 (repeatable; in turn).",
)
@click.option(
    "--inject-every",
    type=click.IntRange(0),
    default=500,
    show_default=True,
    help="Every N-th event is a read of the next --watch-plate (0: never).",
)
@gateway_options
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve /metrics (warmcity_simulator_sent_total, ...) on this port while sending; 0 picks a free "
    "one. Containers pass WARMCITY_PIPELINE_METRICS_PORT's 9108 [default: not served, since a worker on "
    "the same host has that port].",
)
@_share("--malformed-share", "Share of each family's events sent malformed (dead-letter)")
@_share("--duplicate-share", "Share of events a device sends twice (same event_id and bytes)")
@_share("--late-share", "Share of events sent 2-15 minutes after they happened")
@_share("--unknown-device-share", "Share of events from device ids not in the registry")
@pass_settings
def simulate(
    settings: Settings,
    profile: str,
    seed: int,
    rate: float,
    duration: float | None,
    count: int | None,
    families: tuple[str, ...],
    scenarios: tuple[str, ...],
    ground_truth: Path | None,
    watch_plates: tuple[str, ...],
    inject_every: int,
    gateway: str,
    gateway_window_ms: float,
    metrics_port: int | None,
    malformed_share: float,
    duplicate_share: float,
    late_share: float,
    unknown_device_share: float,
) -> None:
    """Publish simulated events of the city's devices, each family to its raw topic (key: device_id, or
    the gateway id with --gateway).

    The mix follows the registry and the local hour (docs/simulator.md). Scenarios inject known situations
    and publish the watch-list entries they need first; the ground truth (one JSON line per alert the
    pipeline should raise) is written at the end. Person scenarios need WARMCITY_PRIVACY_HMAC_KEY. A
    progress line goes to stderr about once a second, a summary to stdout. Exits 1 if any delivery
    failed, 130 after Ctrl-C.

    Example: warmcity simulate --rate 500 --duration 600 --scenario all --malformed-share 0.01
    """
    if duration is None and count is None:
        duration = DEFAULT_DURATION_S
    selected = [DeviceFamily(f) for f in families] or list(DeviceFamily)
    chosen = resolve(scenarios)
    for scenario in chosen:
        missing = [f.value for f in scenario.families if f not in selected]
        if missing:
            raise click.UsageError(f"scenario {scenario.name} needs --family {' --family '.join(missing)}")
    pseudonymiser = _pseudonymiser(settings) if any(s.needs_key for s in chosen) else None
    world = SimulationWorld.from_city(build_city(profile, seed))
    start = utc_now()
    try:
        plan = plan_scenarios(world, chosen, seed, start.timestamp(), pseudonymiser)
    except ScenarioError as exc:
        fail(str(exc), code=2)
    simulator = CitySimulator(
        world,
        seed,
        rate,
        start=start,
        families=selected,
        malformed_share=malformed_share,
        duplicate_share=duplicate_share,
        late_share=late_share,
        unknown_device_share=unknown_device_share,
        plan=plan,
        watched_plates=watch_plates,
        inject_every=inject_every,
    )
    topics = Topics.from_settings(settings.kafka)
    by_family = {family: topics.raw(family) for family in selected}
    bootstrap = settings.kafka.bootstrap_servers
    shown = (
        ", ".join(by_family.values())
        if len(by_family) <= 2
        else f"{topics.prefix}.raw.<family> ({len(by_family)} topics)"
    )
    devices = sum(len(world.devices_of(f)) for f in selected)
    click.echo(f"simulating {devices:,} devices ({profile}, seed {seed}) -> {shown} at {bootstrap}")
    natural = simulator.natural_rate_per_s()
    click.echo(f"rate {rate:,.0f} events/s; these devices' own pace at this hour: {natural:,.0f} events/s")
    complete_ts = plan.complete_ts()
    if complete_ts is not None:
        _warn_if_short(complete_ts - start.timestamp(), duration, count, rate)
    _serve_metrics(metrics_port)
    try:
        published = publish_plan_references(bootstrap, topics, plan)
        if published:
            click.echo("scenario reference data: " + ", ".join(f"{n} to {t}" for t, n in published.items()))
        rates = ProgressRates()
        batcher = _gateway(world, gateway, gateway_window_ms)
        summary = run_simulation(
            bootstrap, by_family, simulator, rate, duration_s=duration, count=count,
            progress=lambda p: _show_progress(rates, p, simulator), gateway=batcher,
        )  # fmt: skip
    except (SimulationError, PublishError) as exc:
        fail(str(exc))
    if sys.stderr.isatty():
        click.echo(err=True)  # end the progress line
    click.echo(describe_run(summary))
    if chosen or watch_plates or ground_truth is not None:
        if chosen:
            click.echo(describe_scenarios(*simulator.scenario_status()))
        path = ground_truth or default_ground_truth_path()
        written = write_ground_truth(path, simulator.ground_truth())
        click.echo(f"ground truth: {written} alerts expected -> {path}")
    if not summary.ok:
        fail(f"{summary.failed} of {summary.sent} deliveries failed: {summary.first_error}")
    if summary.interrupted:
        fail("interrupted before the end: what was sent was delivered", code=130)


def _serve_metrics(port: int | None) -> None:
    from pipeline.http_endpoint import serve

    if port is None:
        return
    try:
        server = serve(port)
    except OSError as exc:
        fail(f"cannot serve /metrics on port {port}: {exc}", code=2)
    click.echo(f"metrics on http://127.0.0.1:{server.server_port}/metrics")


def _pseudonymiser(settings: Settings) -> Pseudonymiser:
    try:
        return Pseudonymiser(settings.privacy.key_bytes())
    except ValueError as exc:
        fail(f"{exc}; person scenarios name people by token under the worker's key", code=2)


def _gateway(world: SimulationWorld, gateway: str, window_ms: float) -> GatewayBatcher | None:
    if gateway == "off":
        return None
    devices = {device.device_id: device for device in world.devices}
    click.echo(f"gateway mode: envelopes per {gateway}, {window_ms:g} ms of event time each")
    return GatewayBatcher(gateway_lookup(devices, GatewayScope(gateway)), window_ms)


def _warn_if_short(needed_s: float, duration: float | None, count: int | None, rate: float) -> None:
    lengths = [x for x in (duration, count / rate if count else None) if x is not None]
    if lengths and min(lengths) < needed_s:
        click.echo(
            f"warning: the run lasts {min(lengths):,.0f} s but its scenarios need {needed_s:,.0f} s; "
            "the ground truth lists only the alerts whose evidence was sent",
            err=True,
        )


def _show_progress(rates: ProgressRates, progress: SimulationProgress, simulator: CitySimulator) -> None:
    expected = len(simulator.plan.ground_truth)
    extra = f"  ground truth {len(simulator.ground_truth())}/{expected}" if expected else ""
    line = rates.line(progress, extra)
    if sys.stderr.isatty():  # redraw one line in a terminal; plain lines in logs
        click.echo(f"\r{line}\x1b[K", err=True, nl=False)
    else:
        click.echo(line, err=True)
