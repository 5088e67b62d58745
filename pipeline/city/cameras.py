"""Video cameras and face-recognition systems, the largest families (70,000 feeds, 100 long-range, 1,345).

Cameras follow population. Some of them watch a site and carry its ``site_id``: the crowd-counting
cameras over each crowd zone of a square (the zone is in the camera's name; its crowd counts name the
zone), and the cameras on explosives depots and blasting sites. They are numbered first in their
district. Long-range cameras (千里眼) stand on high ground away from the seat, covering a wide area.

Face-recognition systems follow population too. The exit hall of every 'two stations one airport' site
(两站一场; video coverage of stations and airports is 100 % in the source report) has some of them, one
per two exit gates and at least one, beside its ID gates: they carry the site's ``site_id`` and place,
and are numbered first in their district. They are part of the 1,345, not added to them; the rest stand
at the district's crowd points.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.city.ground import Ground, apportion, at_least_one_each
from pipeline.city.profiles import CityProfile
from pipeline.city.territory import District
from pipeline.city.venues import population_split
from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.contracts.sites import Site

FIXED, LONG_RANGE = "fixed", "long_range"


@dataclass(frozen=True)
class Watched:
    """``cameras`` fixed cameras at ``site``, named after what they watch (a crowd zone, a loading bay)."""

    site: Site
    cameras: int
    label: str


def build_cameras(
    rng: random.Random,
    spec: CityProfile,
    districts: Sequence[District],
    ground: Ground,
    watched: Sequence[Watched],
) -> list[DeviceRecord]:
    """The fixed cameras, district by district (site cameras first), then the long-range ones."""
    at_sites = Counter[str]()
    for target in watched:
        at_sites[target.site.place.district] += target.cameras
    floor = min(2, spec.cameras // len(districts))  # a couple in every district, when there are enough
    minimums = [max(at_sites[d.name], floor) for d in districts]
    counts = apportion(spec.cameras, [float(d.population_k) for d in districts], minimums)
    cameras: list[DeviceRecord] = []
    for district, count in zip(districts, counts, strict=True):
        own = [t for t in watched if t.site.place.district == district.name]
        site_cameras = [(target, k) for target in own for k in range(1, target.cameras + 1)]
        for number, (target, k) in enumerate(site_cameras, start=1):
            cameras.append(
                DeviceRecord(
                    device_id=f"CAM-{district.code}-{number:06d}",
                    family=DeviceFamily.CAMERA,
                    name=f"{target.site.name}: {target.label} camera {k}",
                    place=target.site.place,
                    subtype=FIXED,
                    site_id=target.site.site_id,
                )
            )
        for number in range(len(site_cameras) + 1, count + 1):
            place = ground.in_cell(rng, district)
            cameras.append(
                DeviceRecord(
                    device_id=f"CAM-{district.code}-{number:06d}",
                    family=DeviceFamily.CAMERA,
                    name=f"{district.name} {place.grid_cell} camera {number}",
                    place=place,
                    subtype=FIXED,
                )
            )
    return cameras + _long_range(rng, spec, districts, ground)


def _long_range(
    rng: random.Random, spec: CityProfile, districts: Sequence[District], ground: Ground
) -> list[DeviceRecord]:
    total = spec.long_range_cameras
    counts = apportion(total, [d.weight for d in districts], at_least_one_each(total, len(districts)))
    cameras = []
    for district, count in zip(districts, counts, strict=True):
        for number in range(1, count + 1):
            cameras.append(
                DeviceRecord(
                    device_id=f"CAMLR-{district.code}-{number:03d}",
                    family=DeviceFamily.CAMERA,
                    name=f"{district.name} long-range camera {number}",
                    place=ground.around_seat(rng, district, 0.2, 0.9),
                    subtype=LONG_RANGE,
                )
            )
    return cameras


def faces_at_exit(spec: CityProfile, gates: int) -> int:
    """Face systems in the exit hall of a station or airport with ``gates`` exit gates."""
    return spec.faces_per_exit if spec.faces_per_exit is not None else max(1, gates // 2)


def build_face_systems(
    rng: random.Random,
    spec: CityProfile,
    districts: Sequence[District],
    ground: Ground,
    exits: Sequence[tuple[Site, int]] = (),
) -> list[DeviceRecord]:
    """Face-recognition systems by population: those of the station exits first (``exits``: each site
    with its number of systems), then the district's crowd points."""
    at_sites = Counter[str]()
    for site, count in exits:
        at_sites[site.place.district] += count
    if sum(at_sites.values()) > spec.face_systems:
        raise ValueError(f"profile {spec.name!r} has fewer face systems than its station exits need")
    counts = population_split(spec.face_systems, districts)
    if any(count < at_sites[d.name] for d, count in zip(districts, counts, strict=True)):
        # Only a small profile: a district's share is smaller than its exits need; the exits come first.
        floor = 1 if spec.face_systems - sum(at_sites.values()) >= len(districts) else 0
        minimums = [max(at_sites[d.name], floor) for d in districts]
        counts = apportion(spec.face_systems, [float(d.population_k) for d in districts], minimums)
    systems = []
    for district, count in zip(districts, counts, strict=True):
        own = [(site, k) for site, n in exits if site.place.district == district.name for k in range(n)]
        for number, (site, k) in enumerate(own, start=1):
            systems.append(
                DeviceRecord(
                    device_id=f"FR-{district.code}-{number:04d}",
                    family=DeviceFamily.FACE_RECOGNITION,
                    name=f"{site.name}: exit hall face recognition {k + 1}",
                    place=site.place,
                    site_id=site.site_id,
                )
            )
        for number in range(len(own) + 1, count + 1):
            place = ground.in_cell(rng, district)
            systems.append(
                DeviceRecord(
                    device_id=f"FR-{district.code}-{number:04d}",
                    family=DeviceFamily.FACE_RECOGNITION,
                    name=f"{district.name} {place.grid_cell} face recognition {number}",
                    place=place,
                )
            )
    return systems
