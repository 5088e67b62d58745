"""The city model: deterministic, complete, and every checkpoint a valid registry record."""

from __future__ import annotations

import re

import pytest

from pipeline.city import DISTRICTS, PROFILES, RINGS, apportion, build_city, profile_named
from pipeline.contracts.envelope import DEVICE_ID_PATTERN
from pipeline.contracts.reference import DeviceFamily, DeviceRecord

PROFILE_NAMES = sorted(PROFILES)


@pytest.mark.parametrize("profile", PROFILE_NAMES)
@pytest.mark.parametrize("seed", [0, 7, 12345])
def test_same_profile_and_seed_give_the_same_city(profile: str, seed: int) -> None:
    assert build_city(profile, seed) == build_city(profile, seed)


def test_another_seed_moves_devices_but_keeps_their_ids() -> None:
    first, second = build_city("small", 1), build_city("small", 2)
    assert [d.device_id for d in first.devices] == [d.device_id for d in second.devices]
    assert [d.ring for d in first.devices] == [d.ring for d in second.devices]
    assert [d.place for d in first.devices] != [d.place for d in second.devices]


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_counts_match_the_profile(profile: str) -> None:
    spec = profile_named(profile)
    city = build_city(profile, 7)
    assert len(city.patrol_areas) == spec.patrol_areas
    assert len(city.grid_cells) == spec.grid_cells
    assert len(city.stations) == spec.stations
    assert len(city.checkpoints) == spec.checkpoints


def test_small_profile_has_about_forty_checkpoints() -> None:
    assert 30 <= len(build_city("small", 7).checkpoints) <= 50


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_district_has_areas_cells_stations_and_checkpoints(profile: str) -> None:
    city = build_city(profile, 7)
    names = {d.name for d in DISTRICTS}
    assert len(names) == 9
    assert {a.district for a in city.patrol_areas} == names
    assert {c.district for c in city.grid_cells} == names
    assert {s.district for s in city.stations} == names
    assert {d.place.district for d in city.checkpoints} == names


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_device_is_a_valid_unique_registry_record(profile: str) -> None:
    city = build_city(profile, 7)
    ids = [d.device_id for d in city.devices]
    assert len(ids) == len(set(ids))
    for device in city.devices:
        assert re.fullmatch(DEVICE_ID_PATTERN, device.device_id), device.device_id
        assert re.fullmatch(r"KK-[A-Z]{2}-\d{4}", device.device_id)
        assert device.family is DeviceFamily.VEHICLE_CHECKPOINT
        assert device.ring in {*RINGS, None}
        # round-trips through the registry topic's JSON unchanged
        assert DeviceRecord.model_validate_json(device.model_dump_json()) == device


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_places_refer_to_the_citys_own_areas_cells_and_stations(profile: str) -> None:
    city = build_city(profile, 7)
    cells = {c.grid_cell_id: c for c in city.grid_cells}
    stations = {s.station_id: s for s in city.stations}
    areas = {a.patrol_area_id: a for a in city.patrol_areas}
    for device in city.devices:
        place = device.place
        assert cells[place.grid_cell].patrol_area_id == place.patrol_area
        assert areas[place.patrol_area].district == place.district
        assert stations[place.station].district == place.district
    assert all(c.patrol_area_id in areas for c in city.grid_cells)


def test_devices_lie_near_their_district_seat() -> None:
    city = build_city("small", 7)
    for device in city.devices:
        district = city.district(device.place.district)
        assert abs(device.place.lat - district.lat) < 1.0
        assert abs(device.place.lon - district.lon) < 1.0


def test_ring_layers_are_closed() -> None:
    city = build_city("small", 7)
    core = {d.name for d in DISTRICTS if d.core}
    assert {d.place.district for d in city.checkpoints_on_ring("banner")} == {d.name for d in DISTRICTS}
    assert {d.place.district for d in city.checkpoints_on_ring("core")} == core
    assert city.checkpoints_on_ring("city")
    assert not {d.place.district for d in city.checkpoints_on_ring("city")} & core


def test_ids_are_numbered_in_the_documented_forms() -> None:
    city = build_city("small", 7)
    assert city.patrol_areas[0].patrol_area_id == "PA-01"
    assert city.grid_cells[0].grid_cell_id == "GC-0001"
    assert city.stations[0].station_id == "ST-01"
    assert city.device("KK-DS-0001") is city.checkpoints[0]
    assert city.device("KK-ZZ-0001") is None


def test_dongsheng_and_kangbashi_are_where_they_are() -> None:
    dongsheng, kangbashi = (
        build_city("small", 7).district("Dongsheng"),
        build_city("small", 7).district("Kangbashi"),
    )
    assert (dongsheng.lat, dongsheng.lon) == pytest.approx((39.82, 109.98), abs=0.05)
    assert (kangbashi.lat, kangbashi.lon) == pytest.approx((39.61, 109.79), abs=0.05)


def test_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known: small"):
        build_city("metropolis", 7)


@pytest.mark.parametrize(
    ("total", "weights", "minimums", "expected"),
    [
        (10, [1.0, 1.0], None, [5, 5]),
        (10, [3.0, 1.0, 1.0], None, [6, 2, 2]),
        (3, [0.9, 0.05, 0.05], [1, 1, 1], [1, 1, 1]),
        (7, [1.0, 1.0, 1.0], [0, 0, 0], [3, 2, 2]),
    ],
)
def test_apportion_is_exact_and_respects_minimums(
    total: int, weights: list[float], minimums: list[int] | None, expected: list[int]
) -> None:
    assert apportion(total, weights, minimums) == expected


def test_apportion_refuses_impossible_minimums() -> None:
    with pytest.raises(ValueError, match="cannot split"):
        apportion(2, [1.0, 1.0, 1.0], [1, 1, 1])
