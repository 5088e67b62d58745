"""Counts of a city as plain-text tables: devices per family and subtype, sites, and per district.

What ``warmcity registry summary`` prints and docs/city.md quotes; it needs no Kafka.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pipeline.city.model import City
from pipeline.contracts.reference import DeviceFamily
from pipeline.contracts.sites import SiteKind

# Short column heads for the per-district table, in DeviceFamily order.
_FAMILY_HEADS = {
    DeviceFamily.VEHICLE_CHECKPOINT: "CHECKPT",
    DeviceFamily.CAMERA: "CAMERA",
    DeviceFamily.FACE_RECOGNITION: "FACE",
    DeviceFamily.ID_GATE: "ID_GATE",
    DeviceFamily.EXPLOSIVES: "EXPLOS",
    DeviceFamily.SCHOOL: "SCHOOL",
    DeviceFamily.COMMUNITY: "COMMUN",
}


def family_counts(city: City) -> Counter[tuple[DeviceFamily, str]]:
    """Devices per (family, subtype), in registry order; a device without a subtype counts under '-'."""
    return Counter((d.family, d.subtype or "-") for d in city.devices)


def summary_text(city: City) -> str:
    """Territory, devices per family/subtype, reference records and sites, then devices per district."""
    lines = [
        f"city profile {city.profile!r}, seed {city.seed}: {len(city.districts)} districts, "
        f"{len(city.patrol_areas)} patrol areas, {len(city.grid_cells)} grid cells, "
        f"{len(city.stations)} street police stations",
        "",
    ]
    by_family = family_counts(city)
    rows = [
        (family.value, subtype, f"{count:,}")
        for family in DeviceFamily
        for (f, subtype), count in by_family.items()  # subtypes in the order the builder made them
        if f is family
    ]
    rows.append(("total", "", f"{len(city.devices):,}"))
    lines += table(("FAMILY", "SUBTYPE", "DEVICES"), rows, right=(2,))
    lines.append("")
    site_rows = [(kind.value, f"{len(city.sites_of(kind)):,}") for kind in SiteKind]
    site_rows.append(("total", f"{len(city.sites):,}"))
    lines += table(("SITE KIND", "SITES"), site_rows, right=(1,))
    lines.append("")
    lines.append(
        f"crowd zones {len(city.crowd_zones)} (capacity {sum(z.capacity for z in city.crowd_zones):,}), "
        f"depots {len(city.depots)}, transport permits {len(city.permits)}"
    )
    lines.append("")
    lines += table(*_district_rows(city), right=tuple(range(1, 5 + len(_FAMILY_HEADS))))
    return "\n".join(lines)


def _district_rows(city: City) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    header = ("DISTRICT", "AREAS", "CELLS", "STATIONS", *_FAMILY_HEADS.values(), "TOTAL")
    devices = Counter((d.place.district, d.family) for d in city.devices)
    rows = []
    for district in city.districts:
        name = district.name
        per_family = [devices[(name, family)] for family in _FAMILY_HEADS]
        rows.append(
            (
                name,
                str(sum(1 for a in city.patrol_areas if a.district == name)),
                str(sum(1 for c in city.grid_cells if c.district == name)),
                str(sum(1 for s in city.stations if s.district == name)),
                *(f"{n:,}" for n in per_family),
                f"{sum(per_family):,}",
            )
        )
    return header, rows


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    """Aligned columns, two spaces apart; columns in ``right`` are right-aligned (numbers)."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines
