"""``warmcity schemas``: export the contracts' JSON Schema for device vendors and check it is current."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli.common import fail
from pipeline.contracts.json_schema import CONTRACTS, DEFAULT_SCHEMA_DIR, check_schemas, export_schemas

_dir = click.Path(file_okay=False, path_type=Path)


@click.group()
def schemas() -> None:
    """JSON Schema of the contracts (schemas/json/<name>.v<version>.json), generated from the models."""


@schemas.command("export")
@click.option("--out", type=_dir, default=DEFAULT_SCHEMA_DIR, show_default=True, help="Folder to write into.")
def schemas_export(out: Path) -> None:
    """Write the JSON Schema of every contract; files already up to date are left alone."""
    written = export_schemas(out)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"{len(CONTRACTS)} schemas in {out}, {len(written)} changed")


@schemas.command("check")
@click.option(
    "--dir", "schema_dir", type=_dir, default=DEFAULT_SCHEMA_DIR, show_default=True, help="Folder to check."
)
def schemas_check(schema_dir: Path) -> None:
    """Exit 1, naming each drifted file, when the files differ from the models."""
    drifts = check_schemas(schema_dir)
    if drifts:
        listing = "\n".join(f"  {drift}" for drift in drifts)
        fail(f"schemas in {schema_dir} drifted from the models:\n{listing}\nrun 'warmcity schemas export'")
    click.echo(f"{len(CONTRACTS)} schemas in {schema_dir} match the models")


@schemas.command("docs")
def schemas_docs() -> None:
    """Print the field tables and examples of every device event (the body of docs/devices.md)."""
    from pipeline.contracts.devices_doc import devices_reference

    click.echo(devices_reference(), nl=False)
