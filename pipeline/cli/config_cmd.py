"""``warmcity config``: the settings in force and the reference of every env var."""

from __future__ import annotations

import click

from pipeline.cli.common import pass_settings
from pipeline.settings import Settings


@click.group()
def config() -> None:
    """Show the resolved settings, or the reference of every WARMCITY_* env var."""


@config.command()
@pass_settings
def show(settings: Settings) -> None:
    """Print the settings as this command resolves them from the environment (secrets masked)."""
    for concern in ("kafka", "clickhouse", "pipeline", "privacy", "alerting", "rules", "stack"):
        group = getattr(settings, concern)
        prefix = str(group.model_config.get("env_prefix", ""))
        for name, value in group.model_dump().items():
            click.echo(f"{(prefix + name).upper():<42} {value}")


@config.command()
def reference() -> None:
    """Print the Markdown reference of every setting (the body of docs/configuration.md)."""
    from pipeline.settings_doc import settings_reference

    click.echo(settings_reference(), nl=False)
