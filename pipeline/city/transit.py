"""ID-verification gates at the exits of the 'two stations one airport' (两站一场) and at checkpoint stations.

Each rail station, bus station and the airport is a site; its gates (2-6, by how busy it is) stand at its
exit and share its place. Every police checkpoint station has gates too, for the occupants of the
vehicles it checks. Gate ids name their site: ``IDG-RS-KB-01-03`` is gate 3 of Kangbashi railway station.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from pipeline.city.catalogue import STATION_EXITS, StationExit
from pipeline.city.ground import Ground
from pipeline.city.profiles import CityProfile
from pipeline.city.territory import district_coded
from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.contracts.sites import Site, SiteKind

STATION_EXIT_KINDS = frozenset({SiteKind.RAIL_STATION, SiteKind.BUS_STATION, SiteKind.AIRPORT})
EXIT_GATE = "exit_gate"
CHECKPOINT_GATE = "checkpoint_gate"


def station_exits(spec: CityProfile) -> tuple[StationExit, ...]:
    """The profile's stations and airports with exit gates."""
    if spec.station_exits > len(STATION_EXITS):
        known = len(STATION_EXITS)
        raise ValueError(f"profile {spec.name!r} wants {spec.station_exits} station exits, {known} are known")
    return STATION_EXITS[: spec.station_exits]


def build_station_exits(rng: random.Random, spec: CityProfile, ground: Ground) -> list[Site]:
    """One site per station or airport; those without coordinates go in their district's town."""
    sites = []
    for exit_ in station_exits(spec):
        district = district_coded(exit_.district_code)
        if exit_.lat is not None and exit_.lon is not None:
            place = ground.at(district, exit_.lat, exit_.lon)
        else:
            place = ground.around_seat(rng, district, 0.05, 0.3)
        sites.append(Site(site_id=exit_.site_id, kind=exit_.kind, name=exit_.name, place=place))
    return sites


def exit_gate_counts(spec: CityProfile, exits: Sequence[Site]) -> list[int]:
    """How many ID gates each station exit has (the profile's count, else the catalogue's)."""
    gate_counts = {exit_.site_id: exit_.gates for exit_ in station_exits(spec)}
    return [spec.gates_per_exit or gate_counts[site.site_id] for site in exits]


def build_id_gates(
    spec: CityProfile, exits: Sequence[Site], checkpoint_stations: Sequence[Site]
) -> list[DeviceRecord]:
    """The gates of every station exit, then of every checkpoint station; each stands at its site."""
    gates = []
    for site, count in zip(exits, exit_gate_counts(spec, exits), strict=True):
        gates += _gates(site, count, EXIT_GATE, "exit gate")
    for site in checkpoint_stations:
        gates += _gates(site, spec.gates_per_checkpoint_station, CHECKPOINT_GATE, "ID check lane")
    return gates


def _gates(site: Site, count: int, subtype: str, label: str) -> list[DeviceRecord]:
    return [
        DeviceRecord(
            device_id=f"IDG-{site.site_id}-{number:02d}",
            family=DeviceFamily.ID_GATE,
            name=f"{site.name} {label} {number}",
            place=site.place,
            subtype=subtype,
            site_id=site.site_id,
        )
        for number in range(1, count + 1)
    ]
