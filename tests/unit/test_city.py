"""The city model in both profiles: deterministic, complete, every device a valid and well-placed record.

``built`` caches one city per profile and seed for the whole session (the 'city' profile takes about a
second to build); tests that need a fresh build to compare with call ``build_city`` themselves.
"""

from __future__ import annotations

import functools
import re

import pytest

from pipeline.city import (
    DISTRICTS,
    PROFILES,
    RINGS,
    City,
    apportion,
    build_city,
    profile_named,
    registry_digest,
)
from pipeline.contracts.envelope import DEVICE_ID_PATTERN
from pipeline.contracts.reference import DeviceFamily, DeviceRecord

PROFILE_NAMES = sorted(PROFILES)


@functools.cache
def built(profile: str, seed: int = 7) -> City:
    """The shared city of ``profile`` and ``seed``; treat it as read-only."""
    return build_city(profile, seed)


@pytest.mark.parametrize("seed", [0, 7, 12345])
def test_same_small_profile_and_seed_give_the_same_city(seed: int) -> None:
    first, second = build_city("small", seed), build_city("small", seed)
    assert first == second
    assert registry_digest(first) == registry_digest(second)


def test_same_city_profile_and_seed_give_the_same_registry() -> None:
    assert registry_digest(build_city("city", 7)) == registry_digest(built("city"))


def test_another_seed_gives_another_registry() -> None:
    assert registry_digest(built("small", 1)) != registry_digest(built("small", 2))


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_another_seed_moves_devices_but_keeps_every_id(profile: str) -> None:
    first, second = built(profile, 7), built(profile, 8)
    assert [d.device_id for d in first.devices] == [d.device_id for d in second.devices]
    assert [(d.ring, d.subtype, d.site_id) for d in first.devices] == [
        (d.ring, d.subtype, d.site_id) for d in second.devices
    ]
    assert [s.site_id for s in first.sites] == [s.site_id for s in second.sites]
    assert [z.zone_id for z in first.crowd_zones] == [z.zone_id for z in second.crowd_zones]
    assert [p.permit_id for p in first.permits] == [p.permit_id for p in second.permits]
    assert [p.plate for p in first.permits] == [p.plate for p in second.permits]
    assert [d.place for d in first.devices] != [d.place for d in second.devices]


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_territory_counts_match_the_profile(profile: str) -> None:
    spec = profile_named(profile)
    city = built(profile)
    assert len(city.districts) == 9
    assert len(city.patrol_areas) == spec.patrol_areas
    assert len(city.grid_cells) == spec.grid_cells
    assert len(city.stations) == spec.stations
    assert len(city.checkpoints) == spec.checkpoints


def test_small_profile_has_about_forty_checkpoints() -> None:
    assert 30 <= len(built("small").checkpoints) <= 50


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_district_has_areas_cells_stations_checkpoints_and_cameras(profile: str) -> None:
    city = built(profile)
    names = {d.name for d in DISTRICTS}
    assert {a.district for a in city.patrol_areas} == names
    assert {c.district for c in city.grid_cells} == names
    assert {s.district for s in city.stations} == names
    assert {d.place.district for d in city.checkpoints} == names
    assert {d.place.district for d in city.devices_of(DeviceFamily.CAMERA)} == names


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_device_ids_are_valid_and_unique(profile: str) -> None:
    city = built(profile)
    ids = [d.device_id for d in city.devices]
    assert len(ids) == len(set(ids))
    pattern = re.compile(DEVICE_ID_PATTERN)
    assert not [i for i in ids if not pattern.fullmatch(i)]
    assert len(city.devices_by_id) == len(ids)


# The documented id scheme (docs/city.md), per family and subtype.
ID_FORMS: dict[tuple[DeviceFamily, str | None], str] = {
    (DeviceFamily.VEHICLE_CHECKPOINT, "electronic"): r"KK-[A-Z]{2}-\d{4}",
    (DeviceFamily.VEHICLE_CHECKPOINT, "checkpoint_station"): r"KKCS-[A-Z]{2}-\d{2}",
    (DeviceFamily.VEHICLE_CHECKPOINT, "security_checkpoint"): r"KKSC-[A-Z]{2}-\d{2}",
    (DeviceFamily.CAMERA, "fixed"): r"CAM-[A-Z]{2}-\d{6}",
    (DeviceFamily.CAMERA, "long_range"): r"CAMLR-[A-Z]{2}-\d{3}",
    (DeviceFamily.FACE_RECOGNITION, None): r"FR-[A-Z]{2}-\d{4}",
    (DeviceFamily.ID_GATE, "exit_gate"): r"IDG-(AP|RS|BS)-[A-Z]{2}-\d{2}-\d{2}",
    (DeviceFamily.ID_GATE, "checkpoint_gate"): r"IDG-CS-[A-Z]{2}-\d{2}-\d{2}",
    (DeviceFamily.EXPLOSIVES, "door"): r"EXD-[A-Z]{2}-\d{2}-DOOR",
    (DeviceFamily.EXPLOSIVES, "inventory"): r"EXD-[A-Z]{2}-\d{2}-INV",
    (DeviceFamily.EXPLOSIVES, "transport"): r"EXT-\d{4}",
    (DeviceFamily.SCHOOL, "alarm_button"): r"SCH-[A-Z]{2}-\d{3}-ALARM",
    (DeviceFamily.SCHOOL, "campus_gate"): r"SCH-[A-Z]{2}-\d{3}-GATE",
    (DeviceFamily.COMMUNITY, "person_gate"): r"COM-[A-Z]{2}-\d{4}-PG",
    (DeviceFamily.COMMUNITY, "vehicle_barrier"): r"COM-[A-Z]{2}-\d{4}-VB",
}


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_device_ids_follow_the_documented_scheme(profile: str) -> None:
    city = built(profile)
    kinds = {(d.family, d.subtype) for d in city.devices}
    assert kinds == set(ID_FORMS)
    wrong = [
        d.device_id for d in city.devices if not re.fullmatch(ID_FORMS[(d.family, d.subtype)], d.device_id)
    ]
    assert not wrong


def test_every_small_record_round_trips_through_json_unchanged() -> None:
    for device in built("small").devices:
        assert DeviceRecord.model_validate_json(device.model_dump_json()) == device


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_places_refer_to_the_citys_own_areas_cells_and_stations(profile: str) -> None:
    city = built(profile)
    cells = {c.grid_cell_id: c for c in city.grid_cells}
    stations = {s.station_id: s for s in city.stations}
    areas = {a.patrol_area_id: a for a in city.patrol_areas}
    places = [d.place for d in city.devices] + [s.place for s in city.sites]
    for place in places:
        cell = cells[place.grid_cell]
        assert (cell.patrol_area_id, cell.district) == (place.patrol_area, place.district)
        assert areas[place.patrol_area].district == place.district
        assert stations[place.station].district == place.district
    assert all(c.patrol_area_id in areas for c in city.grid_cells)


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_devices_lie_near_their_district_seat(profile: str) -> None:
    city = built(profile)
    seats = {d.name: d for d in city.districts}
    far = [
        d.device_id
        for d in city.devices
        if abs(d.place.lat - seats[d.place.district].lat) >= 1.0
        or abs(d.place.lon - seats[d.place.district].lon) >= 1.0
    ]
    assert not far


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_ring_layers_are_closed(profile: str) -> None:
    city = built(profile)
    core = {d.name for d in DISTRICTS if d.core}
    assert {d.place.district for d in city.checkpoints_on_ring("banner")} == {d.name for d in DISTRICTS}
    assert {d.place.district for d in city.checkpoints_on_ring("core")} == core
    assert city.checkpoints_on_ring("city")
    assert not {d.place.district for d in city.checkpoints_on_ring("city")} & core
    assert {d.ring for d in city.checkpoints} <= {*RINGS, None}
    # stations and security checkpoints stand on highways: always on a ring
    assert all(d.ring is not None for d in city.checkpoints if d.subtype != "electronic")


def test_only_checkpoints_have_rings() -> None:
    city = built("small")
    assert all(d.ring is None for d in city.devices if d.family is not DeviceFamily.VEHICLE_CHECKPOINT)


def test_ids_are_numbered_in_the_documented_forms() -> None:
    city = built("small")
    assert city.patrol_areas[0].patrol_area_id == "PA-01"
    assert city.grid_cells[0].grid_cell_id == "GC-0001"
    assert city.stations[0].station_id == "ST-01"
    assert city.device("KK-DS-0001") is city.checkpoints[0]
    assert city.device("KK-ZZ-0001") is None


def test_devices_are_grouped_by_family_in_enum_order() -> None:
    city = built("small")
    order = list(DeviceFamily)
    positions = [order.index(d.family) for d in city.devices]
    assert positions == sorted(positions)
    assert sum(len(city.devices_of(f)) for f in DeviceFamily) == len(city.devices)


def test_dongsheng_and_kangbashi_are_where_they_are() -> None:
    dongsheng, kangbashi = built("small").district("Dongsheng"), built("small").district("Kangbashi")
    assert (dongsheng.lat, dongsheng.lon) == pytest.approx((39.82, 109.98), abs=0.05)
    assert (kangbashi.lat, kangbashi.lon) == pytest.approx((39.61, 109.79), abs=0.05)


def test_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known: city, small"):
        build_city("metropolis", 7)


@pytest.mark.parametrize(
    ("total", "weights", "minimums", "expected"),
    [
        (10, [1.0, 1.0], None, [5, 5]),
        (10, [3.0, 1.0, 1.0], None, [6, 2, 2]),
        (3, [0.9, 0.05, 0.05], [1, 1, 1], [1, 1, 1]),
        (7, [1.0, 1.0, 1.0], [0, 0, 0], [3, 2, 2]),
        (2, [0.0, 0.5, 0.3], None, [0, 1, 1]),
    ],
)
def test_apportion_is_exact_and_respects_minimums(
    total: int, weights: list[float], minimums: list[int] | None, expected: list[int]
) -> None:
    assert apportion(total, weights, minimums) == expected


def test_apportion_refuses_impossible_minimums() -> None:
    with pytest.raises(ValueError, match="cannot split"):
        apportion(2, [1.0, 1.0, 1.0], [1, 1, 1])
