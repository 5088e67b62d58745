"""The numbers of Ordos that the city model is built from: districts/banners, roads and size profiles.

Copied into the project from the customer's brief (shared/seed) so that nothing reads it at run time.
Coordinates are the approximate seats of each district or banner government; they place the simulated
devices in roughly the right part of the map, they are not survey data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

RINGS = ("city", "core", "banner")
"""Checkpoint rings of the ring-layer control (圈层查控): around the city, the core district, each banner."""


@dataclass(frozen=True)
class District:
    """One of the nine districts or banners (旗区)."""

    name: str
    code: str  # two letters, used in device ids ('KK-DS-0001'), so it must stay upper-case ASCII
    chinese: str
    lat: float
    lon: float
    radius_km: float  # rough reach of the district's towns and roads from its seat
    weight: float  # share of patrol areas, grid cells and checkpoints it receives
    core: bool  # inside the core-district ring (环核心区)


DISTRICTS: tuple[District, ...] = (
    District("Dongsheng", "DS", "东胜区", 39.82, 109.98, 18.0, 0.22, core=True),
    District("Kangbashi", "KB", "康巴什区", 39.61, 109.79, 10.0, 0.10, core=True),
    District("Ejin Horo", "YJ", "伊金霍洛旗", 39.57, 109.75, 35.0, 0.13, core=False),
    District("Jungar", "ZG", "准格尔旗", 39.86, 111.24, 45.0, 0.14, core=False),
    District("Dalad", "DL", "达拉特旗", 40.40, 110.04, 40.0, 0.11, core=False),
    District("Otog", "ET", "鄂托克旗", 39.10, 107.98, 60.0, 0.08, core=False),
    District("Otog Front", "EQ", "鄂托克前旗", 38.18, 107.48, 50.0, 0.06, core=False),
    District("Uxin", "WS", "乌审旗", 38.60, 108.84, 50.0, 0.08, core=False),
    District("Hanggin", "HJ", "杭锦旗", 39.83, 108.73, 60.0, 0.08, core=False),
)

# Expressways and national/provincial trunk roads through Ordos; checkpoints are named after them.
ROADS: tuple[str, ...] = ("G18", "G65", "G109", "G210", "G242", "S24", "S215", "S31")


@dataclass(frozen=True)
class CityProfile:
    """How big a generated city is. Counts are totals over all districts."""

    name: str
    patrol_areas: int
    grid_cells: int
    stations: int
    checkpoints: int
    # Share of a district's checkpoints on each ring; the rest are urban checkpoints on no ring.
    # 'core' applies only to core districts, 'city' only to the others (the city perimeter runs
    # through the outer banners).
    ring_shares: Mapping[str, float]


_RING_SHARES = MappingProxyType({"city": 0.25, "core": 0.35, "banner": 0.35})

PROFILES: Mapping[str, CityProfile] = MappingProxyType(
    {
        # Enough of everything to exercise enrichment and every ring, small enough to read in a table.
        # The full profile ('city': 54 patrol areas, 1,354 grid cells, 20 stations, 2,798 checkpoints)
        # is one more entry here.
        "small": CityProfile(
            "small", patrol_areas=12, grid_cells=60, stations=10, checkpoints=40, ring_shares=_RING_SHARES
        ),
    }
)


def profile_named(name: str) -> CityProfile:
    """The profile called ``name``; a ``ValueError`` lists the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown city profile {name!r} (known: {known})") from None
