"""Run the scenarios through the live pipeline and score its alerts: what ``warmcity evaluate`` does.

One run gets its own topic prefix and database, so it never mixes with the demo or another run. The
simulated traffic runs on a virtual clock (``virtual_rate`` events per second of event time) and is sent
faster than that (``send_rate``), so twenty minutes of a city's scenarios take about a minute; its event
times end at the moment the run starts. Rules judge by event time, so compression changes nothing they see.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.contracts.alert import Alert
from pipeline.contracts.reference import DeviceFamily
from pipeline.evaluation.score import ExpectedAlert, RuleScore, score
from pipeline.settings import Settings

Echo = Callable[[str], None]

MARGIN_S = 60.0  # of event time after the last scenario's evidence, so that time-driven rules can fire
QUIET_S = 8.0  # the alerts are final when none changed for this long after the traffic ended


@dataclass(frozen=True)
class EvaluationOptions:
    profile: str = "small"
    scenarios: Sequence[str] = ("all",)
    seed: int = 7
    virtual_rate: float = 40.0
    send_rate: float = 3000.0
    timeout_s: float = 300.0
    keep: bool = False  # leave the run's topics and database for inspection


@dataclass(frozen=True)
class EvaluationResult:
    scores: dict[str, RuleScore]
    expected: list[ExpectedAlert]
    alerts: list[Alert]
    sent: int
    virtual_span_s: float
    wall_s: float
    ground_truth_path: Path
    prefix: str


def isolated(settings: Settings, tag: str, run_dir: Path) -> Settings:
    """Settings for one run: its topic prefix, database, worker data dir and a free metrics port."""
    return replace(
        settings,
        kafka=settings.kafka.model_copy(update={"topic_prefix": f"eval-{tag}"}),
        clickhouse=settings.clickhouse.model_copy(update={"database": f"eval_{tag.replace('-', '_')}"}),
        pipeline=settings.pipeline.model_copy(update={"metrics_port": 0, "data_dir": run_dir / "worker"}),
    )


def run_evaluation(settings: Settings, options: EvaluationOptions, echo: Echo) -> EvaluationResult:
    from pipeline.city import build_city
    from pipeline.reference_publish import publish_city
    from pipeline.simulate import CitySimulator, SimulationWorld, run_simulation, write_ground_truth
    from pipeline.simulate.scenarios.catalogue import plan_scenarios, resolve
    from pipeline.simulate.scenarios.publication import publish_plan_references
    from pipeline.stages.privacy import Pseudonymiser
    from pipeline.storage.migrate import migrate
    from pipeline.topics import Topics, ensure_topics
    from pipeline.worker.child import settings_env, worker_process
    from pipeline.worker.lag import wait_caught_up

    tag = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    run_dir = settings.stack.run_dir / "evaluation" / tag
    settings = isolated(settings, tag, run_dir)
    bootstrap, topics = settings.kafka.bootstrap_servers, Topics.from_settings(settings.kafka)
    ensure_topics(bootstrap, topics.specs(settings.pipeline.app_id))
    migrate(settings.clickhouse)
    echo(f"run {tag}: topics {topics.prefix}.*, database {settings.clickhouse.database}")

    city = build_city(options.profile, options.seed)
    publish_city(bootstrap, topics, city)
    world = SimulationWorld.from_city(city)
    pseudonymiser = Pseudonymiser(settings.privacy.key_bytes())
    # Plan on a provisional start to learn how much event time the scenarios need, then place the run so
    # that its event times end now.
    probe = plan_scenarios(world, resolve(options.scenarios), options.seed, 0.0, pseudonymiser)
    span_s = (probe.complete_ts() or 0.0) + MARGIN_S
    start = datetime.now(UTC) - timedelta(seconds=span_s)
    plan = plan_scenarios(world, resolve(options.scenarios), options.seed, start.timestamp(), pseudonymiser)
    publish_plan_references(bootstrap, topics, plan)
    simulator = CitySimulator(world, options.seed, options.virtual_rate, start=start, plan=plan)
    count = math.ceil(span_s * options.virtual_rate)
    echo(f"  {count:,} events over {span_s / 60:.1f} min of event time, sent at {options.send_rate:,.0f}/s")

    env = {**os.environ, **settings_env(settings)}
    started = time.monotonic()
    with worker_process(env, run_dir / "worker.log"):
        by_family = {family: topics.raw(family) for family in DeviceFamily}
        summary = run_simulation(bootstrap, by_family, simulator, options.send_rate, count=count)
        if not summary.ok:
            raise RuntimeError(f"{summary.failed} of {summary.sent} deliveries failed: {summary.first_error}")
        echo(f"  sent {summary.sent:,} in {summary.elapsed_s:.0f} s; waiting for the worker to catch up")
        group = f"{topics.prefix}-{settings.pipeline.app_id}"
        inputs = [topics.raw(f) for f in DeviceFamily] + [topics.detect, topics.detections]
        if not wait_caught_up(bootstrap, group, inputs, options.timeout_s):
            echo(f"  warning: the worker had not caught up after {options.timeout_s:.0f} s")
        alerts = _settled_alerts(bootstrap, topics.alerts, options.timeout_s, echo)
    if not options.keep:
        _clean_up(settings, echo)
    truth = simulator.ground_truth()
    truth_path = run_dir / "ground-truth.jsonl"
    write_ground_truth(truth_path, truth)
    expected = [ExpectedAlert.model_validate_json(record.as_json()) for record in truth]
    return EvaluationResult(
        scores=score(expected, alerts),
        expected=expected,
        alerts=alerts,
        sent=summary.sent,
        virtual_span_s=span_s,
        wall_s=time.monotonic() - started,
        ground_truth_path=truth_path,
        prefix=topics.prefix,
    )


def _clean_up(settings: Settings, echo: Echo) -> None:
    """Drop the run's topics and database: a run leaves only its ground truth and its report."""
    from pipeline.storage.client import clickhouse_client
    from pipeline.topics import delete_topics

    deleted = delete_topics(settings.kafka.bootstrap_servers, settings.kafka.topic_prefix)
    clickhouse_client(settings.clickhouse, database="").execute(
        f"DROP DATABASE IF EXISTS `{settings.clickhouse.database}`"
    )
    echo(f"  removed {len(deleted)} topics and database {settings.clickhouse.database} (--keep leaves them)")


def _settled_alerts(bootstrap: str, topic: str, timeout_s: float, echo: Echo) -> list[Alert]:
    """Every alert snapshot on the topic, once no new one came for ``QUIET_S`` (or at the timeout)."""
    from pipeline.alerts_tail import AlertTail

    tail = AlertTail(bootstrap, topic, from_beginning=True)
    alerts: list[Alert] = []
    deadline, last_change = time.monotonic() + timeout_s, time.monotonic()
    try:
        while time.monotonic() < deadline:
            batch = list(tail.poll(1.0))
            if batch:
                alerts.extend(batch)
                last_change = time.monotonic()
            elif time.monotonic() - last_change > QUIET_S:
                break
        else:
            echo(f"  warning: alerts still changing after {timeout_s:.0f} s")
    finally:
        tail.close()
    return alerts
