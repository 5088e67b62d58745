"""The numbers of Ordos that the city model is built from: districts/banners, their weights, and roads.

Copied into the project from the customer's brief (shared/seed) so that nothing reads it at run time.
Coordinates are the approximate seats of each district or banner government; they place the simulated
devices in roughly the right part of the map, they are not survey data. Populations (2020 census, rounded)
and mining shares weight where schools, communities, cameras and explosives sites go.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    weight: float  # share of patrol areas, grid cells, stations and checkpoints it receives
    core: bool  # inside the core-district ring (环核心区)
    population_k: int = 100  # residents in thousands: schools, communities, cameras, face systems follow it
    mining: float = 0.0  # share of the coal mines, hence of explosives depots and blasting sites


DISTRICTS: tuple[District, ...] = (
    District(
        "Dongsheng", "DS", "东胜区", 39.82, 109.98, 18.0, 0.22, core=True, population_k=577, mining=0.06
    ),
    District("Kangbashi", "KB", "康巴什区", 39.61, 109.79, 10.0, 0.10, core=True, population_k=154),
    District("Ejin Horo", "YJ", "伊金霍洛旗", 39.57, 109.75, 35.0, 0.13, False, 242, mining=0.22),
    District("Jungar", "ZG", "准格尔旗", 39.86, 111.24, 45.0, 0.14, False, 363, mining=0.30),
    District("Dalad", "DL", "达拉特旗", 40.40, 110.04, 40.0, 0.11, False, 332, mining=0.12),
    District("Otog", "ET", "鄂托克旗", 39.10, 107.98, 60.0, 0.08, False, 158, mining=0.12),
    District("Otog Front", "EQ", "鄂托克前旗", 38.18, 107.48, 50.0, 0.06, False, 80, mining=0.03),
    District("Uxin", "WS", "乌审旗", 38.60, 108.84, 50.0, 0.08, False, 130, mining=0.10),
    District("Hanggin", "HJ", "杭锦旗", 39.83, 108.73, 60.0, 0.08, False, 112, mining=0.05),
)

DISTRICTS_BY_CODE = {district.code: district for district in DISTRICTS}

# Expressways and national/provincial trunk roads through Ordos; checkpoints are named after them.
ROADS: tuple[str, ...] = ("G18", "G65", "G109", "G210", "G242", "S24", "S215", "S31")


def district_coded(code: str) -> District:
    """The district whose two-letter code is ``code``."""
    try:
        return DISTRICTS_BY_CODE[code]
    except KeyError:
        raise ValueError(f"unknown district code {code!r}") from None
