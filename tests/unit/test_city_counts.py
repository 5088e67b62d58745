"""The profiles' numbers: 'city' at the brief's counts (shared/seed/BRIEF.md), 'small' with every family."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.city import City
from pipeline.city.summary import family_counts
from pipeline.city.venues import population_split
from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.contracts.sites import SiteKind
from tests.unit.test_city import built

F = DeviceFamily

# From the brief: 2,798 electronic checkpoints, 20 police checkpoint stations, 27 security checkpoints,
# 70,000 connected feeds and 100 long-range cameras, 1,345 face systems, 574 schools (a button and a gate
# each), 1,386 smart communities (a person gate and a vehicle barrier each). Explosives: 12 depots (a door
# and an inventory device each) and 40 transport vehicles, the model's own choice.
CITY_DEVICES = {
    (F.VEHICLE_CHECKPOINT, "electronic"): 2798,
    (F.VEHICLE_CHECKPOINT, "checkpoint_station"): 20,
    (F.VEHICLE_CHECKPOINT, "security_checkpoint"): 27,
    (F.CAMERA, "fixed"): 70_000,
    (F.CAMERA, "long_range"): 100,
    (F.FACE_RECOGNITION, "-"): 1345,
    (F.ID_GATE, "checkpoint_gate"): 40,
    (F.EXPLOSIVES, "door"): 12,
    (F.EXPLOSIVES, "inventory"): 12,
    (F.EXPLOSIVES, "transport"): 40,
    (F.SCHOOL, "alarm_button"): 574,
    (F.SCHOOL, "campus_gate"): 574,
    (F.COMMUNITY, "person_gate"): 1386,
    (F.COMMUNITY, "vehicle_barrier"): 1386,
}

CITY_SITES = {
    SiteKind.SCHOOL: 574,
    SiteKind.COMMUNITY: 1386,
    SiteKind.CHECKPOINT_STATION: 20,
    SiteKind.DEPOT: 12,
    SiteKind.BLASTING_SITE: 20,
    SiteKind.AIRPORT: 1,
}


@pytest.mark.parametrize(
    ("kind", "expected"), CITY_DEVICES.items(), ids=[f"{family.value}-{sub}" for family, sub in CITY_DEVICES]
)
def test_city_has_the_briefs_devices(kind: tuple[DeviceFamily, str], expected: int) -> None:
    assert family_counts(built("city"))[kind] == expected


@pytest.mark.parametrize(("kind", "expected"), CITY_SITES.items(), ids=[kind.value for kind in CITY_SITES])
def test_city_has_the_briefs_sites(kind: SiteKind, expected: int) -> None:
    assert len(built("city").sites_of(kind)) == expected


def test_city_territory_is_the_briefs() -> None:
    city = built("city")
    assert (len(city.districts), len(city.patrol_areas), len(city.grid_cells), len(city.stations)) == (
        9,
        54,
        1354,
        20,
    )


EXIT_KINDS = {SiteKind.RAIL_STATION, SiteKind.BUS_STATION, SiteKind.AIRPORT}


def _at(city: City, site_id: str, family: DeviceFamily) -> list[DeviceRecord]:
    return [d for d in city.devices_at(site_id) if d.family is family]


def test_city_has_27_station_exits_with_two_to_six_gates_each() -> None:
    city = built("city")
    exits = [*city.sites_of(SiteKind.RAIL_STATION), *city.sites_of(SiteKind.BUS_STATION)]
    exits += city.sites_of(SiteKind.AIRPORT)
    assert len(exits) == 27
    for site in exits:
        assert 2 <= len(_at(city, site.site_id, F.ID_GATE)) <= 6, site.site_id
    airport = city.sites_of(SiteKind.AIRPORT)[0]
    assert "Ejin Horo" in airport.name and airport.place.district == "Ejin Horo"
    assert family_counts(city)[(F.ID_GATE, "exit_gate")] == sum(
        len(_at(city, s.site_id, F.ID_GATE)) for s in exits
    )


def test_every_station_exit_has_face_systems_beside_its_gates_out_of_the_briefs_1345() -> None:
    city = built("city")
    at_exits = 0
    for site in (s for s in city.sites if s.kind in EXIT_KINDS):
        gates, faces = _at(city, site.site_id, F.ID_GATE), _at(city, site.site_id, F.FACE_RECOGNITION)
        assert len(faces) == max(1, len(gates) // 2), site.site_id  # one per two exit gates, at least one
        assert all(face.place == site.place == gates[0].place for face in faces)
        at_exits += len(faces)
    systems = city.devices_of(F.FACE_RECOGNITION)
    assert at_exits == 33 and len(systems) == 1345  # moved from the streets, not added
    exits = {s.site_id for s in city.sites if s.kind in EXIT_KINDS}
    assert {d.site_id for d in systems if d.site_id} == exits
    for district in city.districts:  # the exits' systems are numbered first in their district
        own = [d for d in systems if d.place.district == district.name]
        assert [d.device_id for d in own] == sorted(d.device_id for d in own)
        sited = [d for d in own if d.site_id]
        assert own[: len(sited)] == sited


def test_face_systems_per_district_follow_population_with_the_exits_inside_the_share() -> None:
    city = built("city")
    per_district = Counter(d.place.district for d in city.devices_of(F.FACE_RECOGNITION))
    assert per_district == Counter(
        dict(zip([d.name for d in city.districts], population_split(1345, city.districts), strict=True))
    )


def test_city_has_kangbashi_music_square_for_30000_and_more_squares() -> None:
    city = built("city")
    squares = city.sites_of(SiteKind.SQUARE)
    assert len(squares) >= 3
    music = city.site("SQ-KB-01")
    assert music is not None and music.name == "Kangbashi Music Square"
    zones = city.zones_of("SQ-KB-01")
    assert len(zones) >= 2
    assert sum(z.capacity for z in zones) == 30_000


def test_city_device_total_is_the_sum_of_its_kinds() -> None:
    city = built("city")
    assert sum(family_counts(city).values()) == len(city.devices)
    assert 75_000 < len(city.devices) < 85_000


def test_small_has_every_family() -> None:
    assert {d.family for d in built("small").devices} == set(DeviceFamily)


def test_small_has_the_few_of_each_that_tests_rely_on() -> None:
    city = built("small")
    counts = family_counts(city)
    cameras = Counter(d.place.district for d in city.devices_of(F.CAMERA) if d.subtype == "fixed")
    assert set(cameras.values()) == {2} and len(cameras) == 9
    assert counts[(F.CAMERA, "long_range")] == 2
    assert len(city.devices_of(F.FACE_RECOGNITION)) == 5
    exits = [
        s for s in city.sites if s.kind in {SiteKind.RAIL_STATION, SiteKind.BUS_STATION, SiteKind.AIRPORT}
    ]
    assert len(exits) == 3 and {s.kind for s in exits} == {
        SiteKind.RAIL_STATION,
        SiteKind.BUS_STATION,
        SiteKind.AIRPORT,
    }
    assert all(len(_at(city, s.site_id, F.ID_GATE)) == 2 for s in exits)
    # every exit also has a face system at the gates' place: a person can be seen by both at one site
    assert all(len(_at(city, s.site_id, F.FACE_RECOGNITION)) == 1 for s in exits)
    assert any(d.site_id is None for d in city.devices_of(F.FACE_RECOGNITION))  # and some in the streets
    stations = city.sites_of(SiteKind.CHECKPOINT_STATION)
    assert stations and all(any(d.family is F.ID_GATE for d in city.devices_at(s.site_id)) for s in stations)
    assert (len(city.sites_of(SiteKind.DEPOT)), len(city.sites_of(SiteKind.BLASTING_SITE))) == (2, 2)
    assert counts[(F.EXPLOSIVES, "transport")] == len(city.permits) == 3
    assert (len(city.sites_of(SiteKind.SCHOOL)), len(city.sites_of(SiteKind.COMMUNITY))) == (6, 8)
    (square,) = city.sites_of(SiteKind.SQUARE)
    assert square.name == "Kangbashi Music Square"
    assert len(city.zones_of(square.site_id)) == 2


def test_small_fits_on_a_screen() -> None:
    assert len(built("small").devices) < 150
