"""Civil explosives: depots with door and stock sensors, blasting sites, and transport vehicles with permits.

The brief has every depot, vehicle and blasting site networked, aiming at 'zero loss, zero theft'. They
follow the coal mines (``District.mining``). Each depot is a site with a door-sensor device and an
inventory device and a ``DepotRecord`` (opening hours, stock); each transport vehicle is a device based at
its depot with a ``TransportPermit`` from the depot to a blasting site along a route polyline. Permits are
valid 2026-01-01 to 2027-12-31 so that published data stays the same from one day to the next.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from pipeline.city.ground import Ground, apportion, distance_km, offset
from pipeline.city.profiles import CityProfile
from pipeline.city.territory import District
from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.contracts.sites import DepotRecord, GeoPoint, Site, SiteKind, TransportPermit

DOOR, INVENTORY, TRANSPORT = "door", "inventory", "transport"
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
PERMIT_FROM = datetime(2026, 1, 1, tzinfo=BEIJING)
PERMIT_TO = datetime(2028, 1, 1, tzinfo=BEIJING)  # exclusive: the permit covers all of 2027-12-31
CORRIDOR_M = 500.0
MAX_STOP_MINUTES = 20.0

_OPENING_HOURS = (("08:00-12:00", "14:00-18:00"), ("08:00-18:00",), ("07:30-11:30", "13:30-17:30"))
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # I and O are never issued


@dataclass
class Explosives:
    """What ``build_explosives`` makes; the builder spreads it over the city's devices and records."""

    depot_sites: list[Site] = field(default_factory=list)
    blasting_sites: list[Site] = field(default_factory=list)
    devices: list[DeviceRecord] = field(default_factory=list)
    depots: list[DepotRecord] = field(default_factory=list)
    permits: list[TransportPermit] = field(default_factory=list)


def build_explosives(
    rng: random.Random, spec: CityProfile, districts: Sequence[District], ground: Ground
) -> Explosives:
    if spec.transport_vehicles and not (spec.depots and spec.blasting_sites):
        raise ValueError(f"profile {spec.name!r}: transport vehicles need a depot and a blasting site")
    built = Explosives()
    mining = [d.mining for d in districts]
    depot_counts = apportion(spec.depots, mining)
    blasting_counts = apportion(spec.blasting_sites, mining)
    for district, depots, blasting in zip(districts, depot_counts, blasting_counts, strict=True):
        for number in range(1, depots + 1):
            _add_depot(rng, built, district, number, ground)
        for number in range(1, blasting + 1):
            place = ground.around_seat(rng, district, 0.3, 0.9)  # open-pit mines lie out of town
            name = f"{district.name} open-pit mine blasting site {number}"
            site_id = f"BLS-{district.code}-{number:02d}"
            built.blasting_sites.append(
                Site(site_id=site_id, kind=SiteKind.BLASTING_SITE, name=name, place=place)
            )
    for number, plate in enumerate(_plates(spec, spec.transport_vehicles), start=1):
        _add_vehicle(rng, built, number, plate)
    return built


def _add_depot(
    rng: random.Random, built: Explosives, district: District, number: int, ground: Ground
) -> None:
    site_id = f"DEP-{district.code}-{number:02d}"
    name = f"{district.name} civil-explosives depot {number}"
    place = ground.around_seat(rng, district, 0.3, 0.8)  # depots keep their distance from towns
    built.depot_sites.append(Site(site_id=site_id, kind=SiteKind.DEPOT, name=name, place=place))
    for suffix, subtype, label in (("DOOR", DOOR, "door sensor"), ("INV", INVENTORY, "inventory")):
        built.devices.append(
            DeviceRecord(
                device_id=f"EXD-{district.code}-{number:02d}-{suffix}",
                family=DeviceFamily.EXPLOSIVES,
                name=f"{name} {label}",
                place=place,
                subtype=subtype,
                site_id=site_id,
            )
        )
    built.depots.append(
        DepotRecord(
            depot_id=site_id,
            permitted_hours=rng.choice(_OPENING_HOURS),
            stock={
                "detonator": rng.randrange(2_000, 20_001, 500),  # pieces
                "emulsion_explosive": rng.randrange(5_000, 50_001, 500),  # kg
                "detonating_cord": rng.randrange(10_000, 100_001, 1_000),  # m
            },
        )
    )


def _add_vehicle(rng: random.Random, built: Explosives, number: int, plate: str) -> None:
    # Vehicles go round the depots; each depot's k-th vehicle serves its k-th nearest blasting site.
    depot = built.depot_sites[(number - 1) % len(built.depot_sites)]
    nearest = sorted(
        built.blasting_sites,
        key=lambda s: distance_km(depot.place.lat, depot.place.lon, s.place.lat, s.place.lon),
    )
    destination = nearest[((number - 1) // len(built.depot_sites)) % len(nearest)]
    built.devices.append(
        DeviceRecord(
            device_id=f"EXT-{number:04d}",
            family=DeviceFamily.EXPLOSIVES,
            name=f"explosives transport {plate} of {depot.name}",
            place=depot.place,
            subtype=TRANSPORT,
            site_id=depot.site_id,
        )
    )
    built.permits.append(
        TransportPermit(
            permit_id=f"PMT-{number:04d}",
            plate=plate,
            depot_id=depot.site_id,
            destination_site_id=destination.site_id,
            route=_route(rng, depot, destination),
            corridor_m=CORRIDOR_M,
            max_stop_minutes=MAX_STOP_MINUTES,
            valid_from=PERMIT_FROM,
            valid_to=PERMIT_TO,
        )
    )


def _route(rng: random.Random, start: Site, end: Site) -> tuple[GeoPoint, ...]:
    """3-8 points from ``start`` to ``end``; the inner ones wander off the straight line as roads do."""
    (lat0, lon0), (lat1, lon1) = (start.place.lat, start.place.lon), (end.place.lat, end.place.lon)
    length = distance_km(lat0, lon0, lat1, lon1)
    across = math.atan2((lon1 - lon0) * math.cos(math.radians(lat0)), lat1 - lat0) + math.pi / 2
    points = [(lat0, lon0)]
    legs = rng.randint(2, 7)
    for leg in range(1, legs):
        t = leg / legs
        lat, lon = lat0 + t * (lat1 - lat0), lon0 + t * (lon1 - lon0)
        points.append(offset(lat, lon, length * rng.uniform(-0.12, 0.12), across))
    points.append((lat1, lon1))
    return tuple(GeoPoint(lat=lat, lon=lon) for lat, lon in points)


def _plates(spec: CityProfile, count: int) -> list[str]:
    # Seeded by the profile alone: a permit's plate is how checkpoints and the simulator name the vehicle.
    rng = random.Random(f"warmcity-explosives-plates:{spec.name}")
    plates: list[str] = []
    while len(plates) < count:
        plate = f"蒙K{rng.choice(_PLATE_LETTERS)}{rng.randrange(10_000):04d}"
        if plate not in plates:
            plates.append(plate)
    return plates
