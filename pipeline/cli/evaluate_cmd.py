"""``warmcity evaluate``: the scenarios through the live pipeline, scored per rule against ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.cli.common import fail, pass_settings
from pipeline.settings import Settings


@click.command()
@click.option("--profile", type=click.Choice(["small", "city"]), default="small", show_default=True,
              help="City profile of the registry and the traffic.")  # fmt: skip
@click.option("--scenario", "scenarios", multiple=True, default=("all",), show_default=True,
              help="Scenario to run (repeatable; 'all' runs every one).")  # fmt: skip
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the city and the traffic.")
@click.option("--virtual-rate", type=click.FloatRange(min=1), default=40.0, show_default=True,
              help="Events per second of event time: the traffic's density.")  # fmt: skip
@click.option("--send-rate", type=click.FloatRange(min=1), default=3000.0, show_default=True,
              help="Events per second actually sent: how fast the run goes.")  # fmt: skip
@click.option("--min-score", type=click.FloatRange(0, 1), default=0.99, show_default=True,
              help="Exit 1 when a rule's precision or recall is lower, or on any duplicate.")  # fmt: skip
@click.option("--keep", is_flag=True, help="Leave the run's topics and database for inspection.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the scores as JSON here.")  # fmt: skip
@pass_settings
def evaluate(
    settings: Settings,
    profile: str,
    scenarios: tuple[str, ...],
    seed: int,
    virtual_rate: float,
    send_rate: float,
    min_score: float,
    keep: bool,
    json_path: Path | None,
) -> None:
    """Run scenarios through the live pipeline and report precision and recall per rule.

    Starts the local stack if needed, gives the run its own topics and database, starts a worker, sends
    the city's traffic with the scenarios injected (on a compressed clock), waits until the worker has
    caught up, then scores every alert against the scenarios' ground truth. Afterwards it removes the
    run's topics and database, and stops the stack if it started it (--keep leaves both). Needs an HMAC
    key (WARMCITY_PRIVACY_HMAC_KEY, or the demo's generated one).
    """
    from pipeline.evaluation.run import EvaluationOptions, run_evaluation
    from pipeline.evaluation.score import render_table, worst
    from pipeline.privacy_key import with_demo_key
    from pipeline.simulate.scenarios.base import ScenarioError
    from pipeline.stack import LocalStack, StackError

    stack = LocalStack(settings)
    running_before = any(status.state == "running" for status in stack.status())
    try:
        stack.up()
    except StackError as exc:
        fail(str(exc))
    options = EvaluationOptions(profile, scenarios, seed, virtual_rate, send_rate, keep=keep)
    try:
        result = run_evaluation(with_demo_key(settings, click.echo), options, click.echo)
    except ScenarioError as exc:
        fail(str(exc), code=2)
    finally:
        if not running_before and not keep:
            click.echo(f"stack stopped ({', '.join(stack.down()) or 'nothing to stop'})")
    click.echo(render_table(result.scores))
    lowest_precision, lowest_recall, duplicates = worst(result.scores)
    click.echo(
        f"{len(result.expected)} alerts expected, {len({a.alert_id for a in result.alerts})} raised; "
        f"lowest precision {lowest_precision:.3f}, lowest recall {lowest_recall:.3f}, "
        f"{duplicates} duplicates; {result.sent:,} events, "
        f"{result.virtual_span_s / 60:.1f} min of event time in {result.wall_s:.0f} s; "
        f"ground truth {result.ground_truth_path}"
    )
    for rule_score in result.scores.values():
        for missed in rule_score.missed:
            click.echo(f"  missed {rule_score.rule}: {missed}", err=True)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            rule: {**vars(s), "precision": s.precision, "recall": s.recall}
            for rule, s in result.scores.items()
        }
        json_path.write_text(json.dumps(document, indent=2) + "\n")
    if min(lowest_precision, lowest_recall) < min_score or duplicates:
        fail(f"below the bar: precision and recall must be >= {min_score} with no duplicates")
