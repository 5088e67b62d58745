"""``warmcity worker``: run one pipeline worker in the foreground."""

from __future__ import annotations

import click

from pipeline.cli.common import pass_settings
from pipeline.settings import Settings


@click.command()
@pass_settings
def worker(settings: Settings) -> None:
    """Run a pipeline worker: validate, pseudonymise, enrich, detect and alert on the events of every
    device family, and write them to ClickHouse.

    Reads the raw topic of each family; writes enriched events, rule inputs, detections, alerts and dead
    letters to their topics; keeps rule state and the alert book in Faust tables; inserts plate reads,
    other device events and alert versions into ClickHouse in batches (offsets advance only after the
    insert, see docs/delivery.md). Stops loudly, with a non-zero exit, when the share of invalid messages
    passes WARMCITY_PIPELINE_MAX_INVALID_SHARE. Serves Prometheus metrics on
    WARMCITY_PIPELINE_METRICS_PORT (default 9108). Stop with Ctrl-C. Start as many as the raw topics have
    partitions; they share the work.
    """
    from pipeline.worker.run import run_worker

    run_worker(settings)
