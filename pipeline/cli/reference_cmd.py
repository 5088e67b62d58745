"""``warmcity registry`` and ``warmcity watchlist``: reference data on the compacted topics."""

from __future__ import annotations

from collections.abc import Sequence

import click
from pydantic import ValidationError

from pipeline.city import PROFILES, build_city
from pipeline.cli.common import fail, pass_settings
from pipeline.contracts.envelope import clean_plate
from pipeline.contracts.reference import DeviceRecord, PlateWatchEntry
from pipeline.reference_publish import (
    PublishError,
    publish_devices,
    publish_watch_entry,
    remove_watch_entry,
)
from pipeline.settings import Settings
from pipeline.topics import Topics

_profile = click.option(
    "--profile", type=click.Choice(sorted(PROFILES)), default="small", show_default=True, help="City profile."
)
_seed = click.option(
    "--seed",
    type=int,
    default=7,
    show_default=True,
    help="Seed of the city (places the devices; ids do not change).",
)


@click.group()
def registry() -> None:
    """The device registry: the city's checkpoints, keyed by device_id on the compacted registry topic."""


@registry.command("publish")
@_profile
@_seed
@pass_settings
def registry_publish(settings: Settings, profile: str, seed: int) -> None:
    """Publish every device of the city to the registry topic; workers pick them up within seconds."""
    topic = Topics.from_settings(settings.kafka).ref_devices
    devices = build_city(profile, seed).devices
    try:
        count = publish_devices(settings.kafka.bootstrap_servers, topic, devices)
    except PublishError as exc:
        fail(str(exc))
    click.echo(f"published {count} devices ({profile}, seed {seed}) to {topic}")


@registry.command("show")
@_profile
@_seed
def registry_show(profile: str, seed: int) -> None:
    """Print the city's devices as a table (no Kafka needed)."""
    click.echo(device_table(build_city(profile, seed).devices))


def device_table(devices: Sequence[DeviceRecord]) -> str:
    header = ("DEVICE", "RING", "DISTRICT", "AREA", "CELL", "STATION", "LAT", "LON", "NAME")
    rows = [
        (
            d.device_id,
            d.ring or "-",
            d.place.district,
            d.place.patrol_area,
            d.place.grid_cell,
            d.place.station,
            f"{d.place.lat:.5f}",
            f"{d.place.lon:.5f}",
            d.name,
        )
        for d in devices
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines) + f"\n{len(rows)} devices"


@click.group()
def watchlist() -> None:
    """The plate watch list: entries keyed by plate on a compacted topic; remove publishes a tombstone."""


@watchlist.command("add")
@click.argument("plate")
@click.option("--category", required=True, help="Why the plate is watched: wanted, stolen, suspect, ...")
@click.option("--reason", required=True, help="Free text shown to the operator (at most 500 characters).")
@click.option("--priority", type=int, default=2, show_default=True, help="1 (most urgent) to 4.")
@click.option("--expires", default=None, help="When the entry stops matching, ISO 8601 with offset.")
@pass_settings
def watchlist_add(
    settings: Settings, plate: str, category: str, reason: str, priority: int, expires: str | None
) -> None:
    """Add PLATE to the watch list, or replace its entry (e.g. watchlist add 蒙K8A888 --category wanted)."""
    fields = {"plate": clean_plate(plate), "category": category, "reason": reason, "priority": priority}
    if expires is not None:
        fields["expires_at"] = expires
    try:
        entry = PlateWatchEntry.model_validate(fields)
    except ValidationError as exc:
        fail("invalid watch-list entry:\n" + describe_errors(exc))
    topic = Topics.from_settings(settings.kafka).ref_plate_watchlist
    try:
        publish_watch_entry(settings.kafka.bootstrap_servers, topic, entry)
    except PublishError as exc:
        fail(str(exc))
    click.echo(f"watching {entry.plate} ({entry.category}, priority {entry.priority}) on {topic}")


@watchlist.command("remove")
@click.argument("plate")
@pass_settings
def watchlist_remove(settings: Settings, plate: str) -> None:
    """Remove PLATE from the watch list (publishes a tombstone for its key)."""
    topic = Topics.from_settings(settings.kafka).ref_plate_watchlist
    try:
        remove_watch_entry(settings.kafka.bootstrap_servers, topic, plate)
    except ValueError as exc:  # PublishError is a RuntimeError, so this is the plate check
        fail(f"plate: {exc}")
    except PublishError as exc:
        fail(str(exc))
    click.echo(f"removed {clean_plate(plate)} from {topic}")


def describe_errors(exc: ValidationError) -> str:
    """One line per invalid field, naming the field (the CLI option it came from)."""
    lines = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "entry"
        lines.append(f"  {field}: {error['msg']} (got {error.get('input')!r})")
    return "\n".join(lines)
