"""Builds a ``City`` from a profile and a seed: the territory first, then every family's sites and devices.

Deterministic: the same profile and seed give the same city in every process and on every machine
(``random.Random`` seeded with a string is stable, unlike ``hash()``). Each part draws from its own
generator, so adding a family never moves the devices of another. Counts are split over the districts by
weight with the largest-remainder method, so totals are exact; ids are numbered from those counts and
the catalogue alone, so they depend on the profile, never on the seed.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Sequence

from pipeline.city.cameras import Watched, build_cameras, build_face_systems, faces_at_exit
from pipeline.city.checkpoints import build_checkpoints
from pipeline.city.explosives import build_explosives
from pipeline.city.ground import Ground, apportion, in_disc
from pipeline.city.model import City, GridCell, PatrolArea, Station
from pipeline.city.profiles import CityProfile, profile_named
from pipeline.city.territory import DISTRICTS, District
from pipeline.city.transit import build_id_gates, build_station_exits, exit_gate_counts
from pipeline.city.venues import build_communities, build_schools, build_squares
from pipeline.contracts.sites import CrowdZone, Site


def build_city(profile: str = "small", seed: int = 7) -> City:
    """The city of ``profile`` (see ``profiles.PROFILES``) for ``seed``."""
    spec = profile_named(profile)
    # The city profile allocates hundreds of thousands of objects and no reference cycles; the collector's
    # passes over them (and over everything else the process holds) would take half the build time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build(spec, seed)
    finally:
        if collecting:
            gc.enable()


def _build(spec: CityProfile, seed: int) -> City:
    """Territory first (everything is placed on it), then each family, each from its own generator."""

    def rng(part: str) -> random.Random:
        return random.Random(f"warmcity-city:{spec.name}:{seed}:{part}")

    areas, cells, stations = _territory(rng("territory"), spec)
    ground = Ground(DISTRICTS, cells, stations)
    checkpoints, checkpoint_stations = build_checkpoints(rng("checkpoints"), spec, DISTRICTS, ground)
    exits = build_station_exits(rng("station-exits"), spec, ground)
    squares, zones = build_squares(rng("squares"), spec, ground)
    explosives = build_explosives(rng("explosives"), spec, DISTRICTS, ground)
    schools, school_devices = build_schools(rng("schools"), spec, DISTRICTS, ground)
    communities, community_devices = build_communities(rng("communities"), spec, DISTRICTS, ground)
    watched = _watched(spec, squares, zones, explosives.depot_sites, explosives.blasting_sites)
    cameras = build_cameras(rng("cameras"), spec, DISTRICTS, ground, watched)
    halls = [(s, faces_at_exit(spec, n)) for s, n in zip(exits, exit_gate_counts(spec, exits), strict=True)]
    faces = build_face_systems(rng("face"), spec, DISTRICTS, ground, halls)
    gates = build_id_gates(spec, exits, checkpoint_stations)
    return City(
        profile=spec.name,
        seed=seed,
        districts=DISTRICTS,
        patrol_areas=tuple(areas),
        grid_cells=tuple(cells),
        stations=tuple(stations),
        # In DeviceFamily order, as City.devices promises.
        devices=(
            *checkpoints,
            *cameras,
            *faces,
            *gates,
            *explosives.devices,
            *school_devices,
            *community_devices,
        ),
        sites=(
            *checkpoint_stations,
            *exits,
            *squares,
            *explosives.depot_sites,
            *explosives.blasting_sites,
            *schools,
            *communities,
        ),
        crowd_zones=tuple(zones),
        depots=tuple(explosives.depots),
        permits=tuple(explosives.permits),
    )


def _territory(
    rng: random.Random, spec: CityProfile
) -> tuple[list[PatrolArea], list[GridCell], list[Station]]:
    weights = [d.weight for d in DISTRICTS]
    ones = [1] * len(DISTRICTS)
    pa_counts = apportion(spec.patrol_areas, weights, ones)
    cell_counts = apportion(spec.grid_cells, weights, pa_counts)
    station_counts = apportion(spec.stations, weights, ones)
    areas: list[PatrolArea] = []
    cells: list[GridCell] = []
    stations: list[Station] = []
    for index, district in enumerate(DISTRICTS):
        own_areas = _patrol_areas(rng, district, pa_counts[index], first=len(areas) + 1)
        cells += _grid_cells(rng, district, own_areas, cell_counts[index], first=len(cells) + 1)
        stations += _stations(rng, district, station_counts[index], first=len(stations) + 1)
        areas += own_areas
    return areas, cells, stations


def _watched(
    spec: CityProfile,
    squares: Sequence[Site],
    zones: Sequence[CrowdZone],
    depots: Sequence[Site],
    blasting_sites: Sequence[Site],
) -> list[Watched]:
    by_id = {square.site_id: square for square in squares}
    watched = [Watched(by_id[z.site_id], spec.cameras_per_zone, f"crowd zone {z.zone_id}") for z in zones]
    watched += [Watched(depot, spec.cameras_per_depot, "store and loading bay") for depot in depots]
    watched += [Watched(site, spec.cameras_per_blasting_site, "blasting area") for site in blasting_sites]
    return [target for target in watched if target.cameras > 0]


def _patrol_areas(rng: random.Random, district: District, count: int, first: int) -> list[PatrolArea]:
    areas = []
    for number in range(first, first + count):
        lat, lon = in_disc(rng, district.lat, district.lon, 0.6 * district.radius_km)
        areas.append(PatrolArea(f"PA-{number:02d}", district.name, lat, lon))
    return areas


def _grid_cells(
    rng: random.Random, district: District, areas: Sequence[PatrolArea], count: int, first: int
) -> list[GridCell]:
    per_area = apportion(count, [1.0] * len(areas), [1] * len(areas))
    spread_km = min(4.0, 0.2 * district.radius_km)  # cells are a few km across: a patrol car's beat
    cells: list[GridCell] = []
    for area, n in zip(areas, per_area, strict=True):
        for _ in range(n):
            lat, lon = in_disc(rng, area.lat, area.lon, spread_km)
            cells.append(
                GridCell(f"GC-{first + len(cells):04d}", area.patrol_area_id, district.name, lat, lon)
            )
    return cells


def _stations(rng: random.Random, district: District, count: int, first: int) -> list[Station]:
    stations = []
    for k in range(count):
        # Street stations stand at junctions and crowd points: in town, near the seat.
        lat, lon = in_disc(rng, district.lat, district.lon, 0.25 * district.radius_km)
        name = f"{district.name} street police station {k + 1}"
        stations.append(Station(f"ST-{first + k:02d}", name, district.name, lat, lon))
    return stations
