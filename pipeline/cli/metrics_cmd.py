"""``warmcity metrics``: the catalogue of Prometheus metrics the worker and the simulator expose."""

from __future__ import annotations

import click

from pipeline.metrics_doc import FORMATS, render


@click.group()
def metrics() -> None:
    """The Prometheus metrics of the worker and the simulator (docs/metrics.md)."""


@metrics.command("list")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="markdown: the table of docs/metrics.md; json: one object per metric.",
)
def list_metrics(fmt: str) -> None:
    """Print every metric of the catalogue (pipeline/metrics.py) with its type, labels and help.

    Example: warmcity metrics list --format markdown
    """
    click.echo(render(fmt), nl=False)
