"""Schools, smart residential communities and squares: sites where people gather, with their devices.

Each of the 574 schools and kindergartens has a one-key alarm button (一键报警) and a closed-campus gate;
each of the 1,386 smart communities a person gate and a vehicle barrier. Squares are split into crowd
zones whose capacities add up to the square's; the cameras counting them are made in ``cameras``. Sites
and devices follow population, numbered per district so that ids depend on the profile only.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

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


def _gated_sites(
    rng: random.Random,
    total: int,
    districts: Sequence[District],
    ground: Ground,
    kind: SiteKind,
    family: DeviceFamily,
    site_id_and_name: Callable[[District, int], tuple[str, str]],
    equipment: Sequence[tuple[str, str, str]],
) -> tuple[list[Site], list[DeviceRecord]]:
    """``total`` sites of ``kind`` split by population, each with one device per (suffix, subtype, label)."""
    sites: list[Site] = []
    devices: list[DeviceRecord] = []
    for district, count in zip(districts, population_split(total, districts), strict=True):
        for number in range(1, count + 1):
            site_id, name = site_id_and_name(district, number)
            place = ground.in_cell(rng, district)
            sites.append(Site(site_id=site_id, kind=kind, name=name, place=place))
            for suffix, subtype, label in equipment:
                devices.append(
                    DeviceRecord(
                        device_id=f"{site_id}-{suffix}",
                        family=family,
                        name=f"{name} {label}",
                        place=place,
                        subtype=subtype,
                        site_id=site_id,
                    )
                )
    return sites, devices


def _school(district: District, number: int) -> tuple[str, str]:
    kind = _SCHOOL_KINDS[(number - 1) % len(_SCHOOL_KINDS)]
    return f"SCH-{district.code}-{number:03d}", f"{district.name} {kind} No. {number}"


def _community(district: District, number: int) -> tuple[str, str]:
    estate = _ESTATES[number % len(_ESTATES)]
    return f"COM-{district.code}-{number:04d}", f"{district.name} {estate} Community {number}"


def build_schools(
    rng: random.Random, spec: CityProfile, districts: Sequence[District], ground: Ground
) -> tuple[list[Site], list[DeviceRecord]]:
    equipment = (("ALARM", ALARM_BUTTON, "alarm button"), ("GATE", CAMPUS_GATE, "gate"))
    return _gated_sites(
        rng, spec.schools, districts, ground, SiteKind.SCHOOL, DeviceFamily.SCHOOL, _school, equipment
    )


def build_communities(
    rng: random.Random, spec: CityProfile, districts: Sequence[District], ground: Ground
) -> tuple[list[Site], list[DeviceRecord]]:
    equipment = (("PG", PERSON_GATE, "person gate"), ("VB", VEHICLE_BARRIER, "vehicle barrier"))
    return _gated_sites(
        rng,
        spec.communities,
        districts,
        ground,
        SiteKind.COMMUNITY,
        DeviceFamily.COMMUNITY,
        _community,
        equipment,
    )


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
