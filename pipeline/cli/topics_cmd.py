"""``warmcity topics``: create and list the project's Kafka topics."""

from __future__ import annotations

import click

from pipeline.cli.common import fail, pass_settings
from pipeline.settings import Settings
from pipeline.topics import Topics, ensure_topics


@click.group()
def topics() -> None:
    """Create or list the project's topics (partitions and compaction explicit; never auto-created)."""


@topics.command("create")
@pass_settings
def create(settings: Settings) -> None:
    """Create every topic that does not exist yet; existing topics are left unchanged."""
    specs = Topics.from_settings(settings.kafka).specs(settings.pipeline.app_id)
    try:
        created = ensure_topics(settings.kafka.bootstrap_servers, specs)
    except Exception as exc:
        fail(f"could not create topics at {settings.kafka.bootstrap_servers}: {exc}")
    for spec in specs:
        state = "created" if spec.name in created else "exists"
        click.echo(f"{spec.name:<45} {spec.partitions:>3} partitions  {spec.cleanup:<8} {state}")


@topics.command("list")
@pass_settings
def list_(settings: Settings) -> None:
    """Show the project's topics and whether they exist on the broker."""
    from confluent_kafka.admin import AdminClient

    try:
        metadata = AdminClient({"bootstrap.servers": settings.kafka.bootstrap_servers}).list_topics(
            timeout=10
        )
    except Exception as exc:
        fail(f"Kafka at {settings.kafka.bootstrap_servers} did not answer: {exc}")
    for spec in Topics.from_settings(settings.kafka).specs(settings.pipeline.app_id):
        found = metadata.topics.get(spec.name)
        state = f"{len(found.partitions)} partitions" if found is not None else "missing"
        click.echo(f"{spec.name:<45} {state}")
