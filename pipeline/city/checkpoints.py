"""Vehicle checkpoints on the ring layers: electronic checkpoints, police checkpoint stations, security ones.

Ring-layer control (圈层查控) closes a ring around the city, the core district and each banner with
checkpoints; every district gets checkpoints on its two rings (core districts: core and banner, the others:
city and banner), electronic checkpoints also in town on no ring. A police checkpoint station (公安检查站)
is also a site: its ID gates (see ``transit``) check the occupants of the vehicles it stops.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from pipeline.city.ground import Ground, apportion, at_least_one_each, offset
from pipeline.city.profiles import CityProfile
from pipeline.city.territory import ROADS, District
from pipeline.contracts.reference import DeviceFamily, DeviceRecord, Place
from pipeline.contracts.sites import Site, SiteKind

ELECTRONIC = "electronic"
CHECKPOINT_STATION = "checkpoint_station"
SECURITY_CHECKPOINT = "security_checkpoint"

# How far from the district seat each kind of checkpoint stands, as a share of the district's radius:
# the city ring closes the perimeter, the banner ring the banner's town, the core ring the central district.
_RING_REACH: dict[str | None, float] = {"city": 0.95, "banner": 0.5, "core": 0.6, None: 0.25}


def build_checkpoints(
    rng: random.Random, spec: CityProfile, districts: Sequence[District], ground: Ground
) -> tuple[list[DeviceRecord], list[Site]]:
    """Every vehicle checkpoint, district by district, and the checkpoint stations' sites."""
    n = len(districts)
    weights = [d.weight for d in districts]
    electronic = apportion(spec.electronic_checkpoints, weights, [1] * n)
    stations = apportion(spec.checkpoint_stations, weights, at_least_one_each(spec.checkpoint_stations, n))
    security = apportion(spec.security_checkpoints, weights, at_least_one_each(spec.security_checkpoints, n))
    devices: list[DeviceRecord] = []
    sites: list[Site] = []
    for index, district in enumerate(districts):
        rings = ["core", "banner"] if district.core else ["city", "banner"]
        for number, ring in enumerate(_electronic_rings(spec, rings, electronic[index]), start=1):
            road = rng.choice(ROADS)
            devices.append(
                DeviceRecord(
                    device_id=f"KK-{district.code}-{number:04d}",
                    family=DeviceFamily.VEHICLE_CHECKPOINT,
                    name=f"{road} {district.name} checkpoint {number:02d}",
                    place=_on_ring(rng, ground, district, ring),
                    ring=ring,
                    subtype=ELECTRONIC,
                )
            )
        # Stations and security checkpoints stand on highways and trunk roads: always on a ring.
        for number in range(1, stations[index] + 1):
            ring = rings[(number - 1) % 2]
            road = rng.choice(ROADS)
            place = _on_ring(rng, ground, district, ring)
            site_id = f"CS-{district.code}-{number:02d}"
            name = f"{road} {district.name} police checkpoint station {number}"
            sites.append(Site(site_id=site_id, kind=SiteKind.CHECKPOINT_STATION, name=name, place=place))
            devices.append(
                DeviceRecord(
                    device_id=f"KKCS-{district.code}-{number:02d}",
                    family=DeviceFamily.VEHICLE_CHECKPOINT,
                    name=name,
                    place=place,
                    ring=ring,
                    subtype=CHECKPOINT_STATION,
                    site_id=site_id,
                )
            )
        for number in range(1, security[index] + 1):
            ring = rings[number % 2]  # start on the banner ring: the stations took the outer one first
            road = rng.choice(ROADS)
            devices.append(
                DeviceRecord(
                    device_id=f"KKSC-{district.code}-{number:02d}",
                    family=DeviceFamily.VEHICLE_CHECKPOINT,
                    name=f"{road} {district.name} security checkpoint {number}",
                    place=_on_ring(rng, ground, district, ring),
                    ring=ring,
                    subtype=SECURITY_CHECKPOINT,
                )
            )
    return devices, sites


def _electronic_rings(spec: CityProfile, rings: Sequence[str], count: int) -> list[str | None]:
    shares = [spec.ring_shares[ring] for ring in rings]
    per_ring = apportion(count, [*shares, max(0.0, 1.0 - sum(shares))])
    roles: list[str | None] = [ring for ring, k in zip(rings, per_ring, strict=False) for _ in range(k)]
    return roles + [None] * per_ring[-1]


def _on_ring(rng: random.Random, ground: Ground, district: District, ring: str | None) -> Place:
    reach = _RING_REACH[ring] * district.radius_km * rng.uniform(0.85, 1.1)
    lat, lon = offset(district.lat, district.lon, reach, rng.uniform(0.0, 2 * math.pi))
    return ground.at(district, lat, lon)
