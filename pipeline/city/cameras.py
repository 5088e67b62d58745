"""Video cameras and face-recognition systems, the largest families (70,000 feeds, 100 long-range, 1,345).

Cameras follow population. Some of them watch a site and carry its ``site_id``: the crowd-counting
cameras over each crowd zone of a square (the zone is in the camera's name; its crowd counts name the
zone), and the cameras on explosives depots and blasting sites. They are numbered first in their
district. Long-range cameras (千里眼) stand on high ground away from the seat, covering a wide area.
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


def build_face_systems(
    rng: random.Random, spec: CityProfile, districts: Sequence[District], ground: Ground
) -> list[DeviceRecord]:
    """Face-recognition systems at crowd points, by population."""
    systems = []
    for district, count in zip(districts, population_split(spec.face_systems, districts), strict=True):
        for number in range(1, count + 1):
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
