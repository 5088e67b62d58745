"""Entry point of the ``warmcity`` console script."""

from __future__ import annotations

import click

from pipeline import __version__
from pipeline.cli.alerts_cmd import alerts
from pipeline.cli.bench_cmd import bench
from pipeline.cli.config_cmd import config
from pipeline.cli.demo_cmd import demo
from pipeline.cli.evaluate_cmd import evaluate
from pipeline.cli.metrics_cmd import metrics
from pipeline.cli.query_cmd import query
from pipeline.cli.reference_cmd import registry, watchlist
from pipeline.cli.schemas_cmd import schemas
from pipeline.cli.simulate_cmd import simulate
from pipeline.cli.stack_cmd import stack
from pipeline.cli.storage_cmd import migrate, storage
from pipeline.cli.topics_cmd import topics
from pipeline.cli.worker_cmd import worker


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="warmcity")
def cli() -> None:
    """warmcity-pipeline: public-safety sensor events through Kafka and Faust into ClickHouse.

    Settings come from WARMCITY_* environment variables (docs/configuration.md).
    """


for command in (
    demo,
    stack,
    topics,
    migrate,
    storage,
    registry,
    watchlist,
    simulate,
    worker,
    alerts,
    schemas,
    config,
    bench,
    evaluate,
    query,
    metrics,
):
    cli.add_command(command)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
