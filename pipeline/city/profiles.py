"""Size profiles of the generated city: 'small' for tests and the demo, 'city' at the brief's counts.

Every count is a total over the districts. The 'city' numbers are the customer's (shared/seed/BRIEF.md):
54 patrol areas, 1,354 grid cells, 20 street stations, 2,798 electronic checkpoints, 20 police checkpoint
stations, 27 security checkpoints, 70,000 connected cameras and 100 long-range ones, 1,345 face systems,
27 'two stations one airport' sites, 574 schools and 1,386 smart communities. The brief gives no count of
explosives depots, blasting sites and transport vehicles; the ones here are plausible for a mining city.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class CityProfile:
    """How big a generated city is."""

    name: str
    patrol_areas: int
    grid_cells: int
    stations: int
    electronic_checkpoints: int
    checkpoint_stations: int  # police checkpoint stations (公安检查站): a site, a checkpoint and ID gates
    security_checkpoints: int  # security checkpoints (治安卡口)
    cameras: int  # connected fixed feeds, including the ones watching squares and explosives sites
    long_range_cameras: int
    face_systems: int
    station_exits: int  # the first n sites of ``catalogue.STATION_EXITS``
    schools: int
    communities: int
    depots: int
    blasting_sites: int
    transport_vehicles: int
    squares: int  # the first n squares of ``catalogue.SQUARES``
    # Share of a district's checkpoints on each ring; the rest are urban checkpoints on no ring.
    # 'core' applies only to core districts, 'city' only to the others (the city perimeter runs
    # through the outer banners).
    ring_shares: Mapping[str, float]
    gates_per_exit: int | None = None  # None: each exit's own count from the catalogue (2-6)
    gates_per_checkpoint_station: int = 2  # one lane each way
    faces_per_exit: int | None = None  # face systems in a station exit's hall; None: one per two gates
    zones_per_square: int | None = None  # None: every zone of the catalogue
    cameras_per_zone: int = 2  # crowd-counting cameras over each crowd zone
    cameras_per_depot: int = 2  # 'all on video': store room and loading bay
    cameras_per_blasting_site: int = 1

    @property
    def checkpoints(self) -> int:
        """Vehicle checkpoints of every subtype."""
        return self.electronic_checkpoints + self.checkpoint_stations + self.security_checkpoints


_RING_SHARES = MappingProxyType({"city": 0.25, "core": 0.35, "banner": 0.35})

PROFILES: Mapping[str, CityProfile] = MappingProxyType(
    {
        # Every family and every ring, a few devices each: small enough to read in a table.
        "small": CityProfile(
            "small",
            patrol_areas=12,
            grid_cells=60,
            stations=10,
            electronic_checkpoints=34,
            checkpoint_stations=3,
            security_checkpoints=3,
            cameras=18,
            long_range_cameras=2,
            face_systems=5,
            station_exits=3,
            schools=6,
            communities=8,
            depots=2,
            blasting_sites=2,
            transport_vehicles=3,
            squares=1,
            ring_shares=_RING_SHARES,
            gates_per_exit=2,
            zones_per_square=2,
            cameras_per_zone=1,
            cameras_per_depot=0,
            cameras_per_blasting_site=0,
        ),
        # The brief's counts.
        "city": CityProfile(
            "city",
            patrol_areas=54,
            grid_cells=1354,
            stations=20,
            electronic_checkpoints=2798,
            checkpoint_stations=20,
            security_checkpoints=27,
            cameras=70_000,
            long_range_cameras=100,
            face_systems=1345,
            station_exits=27,
            schools=574,
            communities=1386,
            depots=12,
            blasting_sites=20,
            transport_vehicles=40,
            squares=4,
            ring_shares=_RING_SHARES,
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
