"""``warmcity worker``: run one pipeline worker in the foreground."""

from __future__ import annotations

import click

from pipeline.cli.common import pass_settings
from pipeline.settings import Settings


@click.command()
@pass_settings
def worker(settings: Settings) -> None:
    """Run a pipeline worker: validate, enrich and alert on plate reads, and write them to ClickHouse.

    Reads the raw topic, writes enriched reads, alerts and dead letters to their topics, and inserts
    enriched reads and alerts into ClickHouse in batches (offsets advance only after the insert).
    Serves Prometheus metrics on WARMCITY_PIPELINE_METRICS_PORT (default 9108). Stop with Ctrl-C.
    Start as many as the raw topic has partitions; they share the work.
    """
    from pipeline.worker.run import run_worker

    run_worker(settings)
