"""``warmcity registry`` and ``warmcity watchlist``: reference data on the compacted topics.

``registry publish`` sends the whole generated city (see docs/city.md); ``registry show`` and ``registry
summary`` print it without Kafka.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

import click
from pydantic import ValidationError

from pipeline.city import PROFILES, build_city
from pipeline.city.summary import summary_text, table
from pipeline.cli.common import fail, pass_settings
from pipeline.contracts.envelope import clean_plate
from pipeline.contracts.reference import DeviceFamily, DeviceRecord, PlateWatchEntry
from pipeline.reference_publish import (
    PublishError,
    publish_city,
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
    """The city's reference data: devices, sites, crowd zones, depots, permits and grid cells on compacted
    topics."""


@registry.command("publish")
@_profile
@_seed
@pass_settings
def registry_publish(settings: Settings, profile: str, seed: int) -> None:
    """Publish the whole city (devices of every family, sites, crowd zones, depots, transport permits, grid
    cells) to the reference topics; workers pick the changes up within seconds."""
    topics = Topics.from_settings(settings.kafka)
    city = build_city(profile, seed)
    bootstrap = settings.kafka.bootstrap_servers
    click.echo(f"publishing the {profile!r} city (seed {seed}) to {topics.prefix}.ref.* at {bootstrap}")
    started = time.monotonic()
    progress = _ProgressLine()
    try:
        counts = publish_city(bootstrap, topics, city, progress=progress)
    except PublishError as exc:
        progress.end()
        fail(str(exc))
    progress.end()
    for name, count in counts.items():
        click.echo(f"  {count:>7,} {name:<12} -> {topics.reference(name)}")
    total = sum(counts.values())
    click.echo(f"published {total:,} records in {time.monotonic() - started:.1f}s")


class _ProgressLine:
    """One line, rewritten in place, of what has been sent; only on a terminal (logs get the counts)."""

    def __init__(self) -> None:
        self._tty = sys.stdout.isatty()
        self._open = False

    def __call__(self, name: str, sent: int, total: int) -> None:
        if self._tty:
            click.echo(f"\r  {name}: {sent:,}/{total:,}\x1b[K", nl=False)  # ESC[K: clear the longer rest
            self._open = True

    def end(self) -> None:
        if self._open:
            click.echo()
            self._open = False


@registry.command("show")
@_profile
@_seed
@click.option(
    "--family",
    type=click.Choice([f.value for f in DeviceFamily]),
    default=None,
    help="Only the devices of this family.",
)
def registry_show(profile: str, seed: int, family: str | None) -> None:
    """Print the city's devices as a table (no Kafka needed)."""
    city = build_city(profile, seed)
    devices = city.devices if family is None else city.devices_of(DeviceFamily(family))
    click.echo(device_table(devices))


@registry.command("summary")
@_profile
@_seed
def registry_summary(profile: str, seed: int) -> None:
    """Print how many devices of each family and subtype, sites of each kind, and devices per district
    the city has (no Kafka needed)."""
    click.echo(summary_text(build_city(profile, seed)))


def device_table(devices: Sequence[DeviceRecord]) -> str:
    header = ("DEVICE", "FAMILY", "SUBTYPE", "RING", "SITE", "DISTRICT", "AREA", "CELL", "STATION")
    rows = [
        (
            d.device_id,
            d.family.value,
            d.subtype or "-",
            d.ring or "-",
            d.site_id or "-",
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
    lines = table((*header, "LAT", "LON", "NAME"), rows)
    return "\n".join(lines) + f"\n{len(rows)} devices"


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
