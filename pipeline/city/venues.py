"""Schools, smart residential communities and squares: sites where people gather, with their devices.

Each of the 574 schools and kindergartens has a one-key alarm button (一键报警) and a closed-campus gate;
each of the 1,386 smart communities a person gate and a vehicle barrier. Squares are split into crowd
zones whose capacities add up to the square's; the cameras counting them are made in ``cameras``. Sites
and devices follow population, numbered per district so that ids depend on the profile only.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from pipeline.city.catalogue import SQUARES
from pipeline.city.ground import Ground, apportion, at_least_one_each
from pipeline.city.profiles import CityProfile
from pipeline.city.territory import District, district_coded
from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.contracts.sites import CrowdZone, Site, SiteKind

ALARM_BUTTON, CAMPUS_GATE = "alarm_button", "campus_gate"
PERSON_GATE, VEHICLE_BARRIER = "person_gate", "vehicle_barrier"

# Roughly how the 574 split: most are kindergartens and primary schools (interleaved, so that a district
# with only a few schools still has several kinds).
_SCHOOL_KINDS = (
    "Primary School",
    "Kindergarten",
    "Middle School",
    "Kindergarten",
    "Primary School",
    "High School",
    "Kindergarten",
    "Primary School",
    "Kindergarten",
    "Primary School",
)
_ESTATES = (
    "Tianjiao",
    "Jinxiu",
    "Hexie",
    "Xingfu",
    "Yangguang",
    "Binhe",
    "Lvyuan",
    "Huafu",
    "Minzu",
    "Ordos",
)


def population_split(total: int, districts: Sequence[District]) -> list[int]:
    """``total`` split over the districts by population, one each at least when there are enough."""
    weights = [float(d.population_k) for d in districts]
    return apportion(total, weights, at_least_one_each(total, len(districts)))


def build_schools(
    rng: random.Random, spec: CityProfile, districts: Sequence[District], ground: Ground
) -> tuple[list[Site], list[DeviceRecord]]:
    sites: list[Site] = []
    devices: list[DeviceRecord] = []
    for district, count in zip(districts, population_split(spec.schools, districts), strict=True):
        for number in range(1, count + 1):
            site_id = f"SCH-{district.code}-{number:03d}"
            kind = _SCHOOL_KINDS[(number - 1) % len(_SCHOOL_KINDS)]
            name = f"{district.name} {kind} No. {number}"
            place = ground.in_cell(rng, district)
            sites.append(Site(site_id=site_id, kind=SiteKind.SCHOOL, name=name, place=place))
            for suffix, subtype, label in (
                ("ALARM", ALARM_BUTTON, "alarm button"),
                ("GATE", CAMPUS_GATE, "gate"),
            ):
                devices.append(
                    DeviceRecord(
                        device_id=f"{site_id}-{suffix}",
                        family=DeviceFamily.SCHOOL,
                        name=f"{name} {label}",
                        place=place,
                        subtype=subtype,
                        site_id=site_id,
                    )
                )
    return sites, devices


def build_communities(
    rng: random.Random, spec: CityProfile, districts: Sequence[District], ground: Ground
) -> tuple[list[Site], list[DeviceRecord]]:
    sites: list[Site] = []
    devices: list[DeviceRecord] = []
    for district, count in zip(districts, population_split(spec.communities, districts), strict=True):
        for number in range(1, count + 1):
            site_id = f"COM-{district.code}-{number:04d}"
            name = f"{district.name} {_ESTATES[number % len(_ESTATES)]} Community {number}"
            place = ground.in_cell(rng, district)
            sites.append(Site(site_id=site_id, kind=SiteKind.COMMUNITY, name=name, place=place))
            for suffix, subtype, label in (
                ("PG", PERSON_GATE, "person gate"),
                ("VB", VEHICLE_BARRIER, "vehicle barrier"),
            ):
                devices.append(
                    DeviceRecord(
                        device_id=f"{site_id}-{suffix}",
                        family=DeviceFamily.COMMUNITY,
                        name=f"{name} {label}",
                        place=place,
                        subtype=subtype,
                        site_id=site_id,
                    )
                )
    return sites, devices


def build_squares(
    rng: random.Random, spec: CityProfile, ground: Ground
) -> tuple[list[Site], list[CrowdZone]]:
    """The profile's squares near their district's seat, each with its crowd zones."""
    sites: list[Site] = []
    zones: list[CrowdZone] = []
    for square in SQUARES[: spec.squares]:
        district = district_coded(square.district_code)
        place = ground.around_seat(rng, district, 0.02, 0.15)
        sites.append(Site(site_id=square.site_id, kind=SiteKind.SQUARE, name=square.name, place=place))
        specs = square.zones[: spec.zones_per_square or len(square.zones)]
        capacities = apportion(square.capacity, [z.share for z in specs], [1] * len(specs))
        for number, (zone, capacity) in enumerate(zip(specs, capacities, strict=True), start=1):
            zones.append(
                CrowdZone(
                    zone_id=f"{square.site_id}-Z{number}",
                    site_id=square.site_id,
                    name=f"{square.name}: {zone.name}",
                    capacity=capacity,
                )
            )
    return sites, zones
