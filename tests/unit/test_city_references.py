"""The city's reference records hold together: every id a device, zone or permit names exists and fits."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from itertools import pairwise

import pytest

from pipeline.city import PROFILES, REFERENCE_KEYS, reference_records
from pipeline.city.ground import distance_km
from pipeline.city.records import grid_cell_records
from pipeline.contracts.envelope import DEVICE_ID_PATTERN
from pipeline.contracts.reference import DeviceFamily
from pipeline.contracts.sites import SiteKind
from pipeline.reference_publish import normalise_plate
from pipeline.topics import REFERENCE_TOPICS
from tests.unit.test_city import built

PROFILE_NAMES = sorted(PROFILES)
SITE_DEVICES = {  # what every site of a kind must have, as (family, subtype) -> how many
    SiteKind.SCHOOL: {(DeviceFamily.SCHOOL, "alarm_button"): 1, (DeviceFamily.SCHOOL, "campus_gate"): 1},
    SiteKind.COMMUNITY: {
        (DeviceFamily.COMMUNITY, "person_gate"): 1,
        (DeviceFamily.COMMUNITY, "vehicle_barrier"): 1,
    },
    SiteKind.DEPOT: {(DeviceFamily.EXPLOSIVES, "door"): 1, (DeviceFamily.EXPLOSIVES, "inventory"): 1},
}


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_site_and_record_ids_are_valid_and_unique(profile: str) -> None:
    city = built(profile)
    for name, records in reference_records(city).items():
        keys = [str(getattr(r, REFERENCE_KEYS[name])) for r in records]
        assert len(keys) == len(set(keys)), name
        assert all(re.fullmatch(DEVICE_ID_PATTERN, key) for key in keys), name
    assert set(REFERENCE_KEYS) <= set(REFERENCE_TOPICS)


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_device_s_place_agrees_with_its_grid_cell_record(profile: str) -> None:
    """The grid cells the workers locate fixes on answer to what the registry says of each cell."""
    city = built(profile)
    cells = {cell.grid_cell_id: cell for cell in grid_cell_records(city)}
    assert len(cells) == len(city.grid_cells)
    stations = {station.station_id: station for station in city.stations}
    for record in cells.values():
        assert stations[record.station].district == record.district
    for device in city.devices:
        record = cells[device.place.grid_cell]
        assert (record.patrol_area, record.district, record.station) == (
            device.place.patrol_area,
            device.place.district,
            device.place.station,
        ), device.device_id


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_site_a_device_names_exists_in_the_same_place(profile: str) -> None:
    city = built(profile)
    for device in city.devices:
        if device.site_id is None:
            continue
        site = city.site(device.site_id)
        assert site is not None, device.device_id
        assert device.place.district == site.place.district
        assert device.place == site.place  # a site's devices stand at the site


@pytest.mark.parametrize("profile", PROFILE_NAMES)
@pytest.mark.parametrize("kind", list(SITE_DEVICES))
def test_every_school_community_and_depot_has_its_devices(profile: str, kind: SiteKind) -> None:
    city = built(profile)
    for site in city.sites_of(kind):
        have: dict[tuple[DeviceFamily, str | None], int] = {}
        for device in city.devices_at(site.site_id):
            have[(device.family, device.subtype)] = have.get((device.family, device.subtype), 0) + 1
        expected = dict(SITE_DEVICES[kind])
        if kind is SiteKind.DEPOT:  # depots also have their vehicles and, in the city profile, cameras
            have = {k: v for k, v in have.items() if k in expected}
        assert have == expected, site.site_id


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_checkpoint_station_is_a_site_with_a_checkpoint_and_id_gates(profile: str) -> None:
    city = built(profile)
    for site in city.sites_of(SiteKind.CHECKPOINT_STATION):
        kinds = [(d.family, d.subtype) for d in city.devices_at(site.site_id)]
        assert kinds.count((DeviceFamily.VEHICLE_CHECKPOINT, "checkpoint_station")) == 1
        assert kinds.count((DeviceFamily.ID_GATE, "checkpoint_gate")) >= 1


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_crowd_zone_belongs_to_a_square_watched_by_cameras(profile: str) -> None:
    city = built(profile)
    assert city.crowd_zones
    for zone in city.crowd_zones:
        square = city.site(zone.site_id)
        assert square is not None and square.kind is SiteKind.SQUARE, zone.zone_id
        cameras = [d for d in city.devices_at(square.site_id) if d.family is DeviceFamily.CAMERA]
        assert any(zone.zone_id in camera.name for camera in cameras), zone.zone_id
    for square in city.sites_of(SiteKind.SQUARE):
        assert city.zones_of(square.site_id)


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_depot_site_has_a_depot_record_with_hours_and_stock(profile: str) -> None:
    city = built(profile)
    depot_sites = {s.site_id for s in city.sites_of(SiteKind.DEPOT)}
    assert {d.depot_id for d in city.depots} == depot_sites
    for depot in city.depots:
        assert depot.windows()
        assert set(depot.stock) == {"detonator", "emulsion_explosive", "detonating_cord"}
        assert all(count > 0 for count in depot.stock.values())


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_permit_runs_from_a_depot_to_a_blasting_site_along_a_route(profile: str) -> None:
    city = built(profile)
    vehicles = {d.device_id: d for d in city.devices if d.subtype == "transport"}
    assert len(vehicles) == len(city.permits)
    assert len({p.plate for p in city.permits}) == len(city.permits)
    for permit in city.permits:
        depot, destination = city.site(permit.depot_id), city.site(permit.destination_site_id)
        assert depot is not None and depot.kind is SiteKind.DEPOT
        assert destination is not None and destination.kind is SiteKind.BLASTING_SITE
        assert city.depot(permit.depot_id) is not None
        assert normalise_plate(permit.plate) == permit.plate
        assert 3 <= len(permit.route) <= 8
        start, end = permit.route[0], permit.route[-1]
        assert (start.lat, start.lon) == (depot.place.lat, depot.place.lon)
        assert (end.lat, end.lon) == (destination.place.lat, destination.place.lon)
        assert permit.corridor_m == 500 and permit.max_stop_minutes == 20
        assert permit.valid_at(datetime(2026, 1, 1, tzinfo=UTC))
        assert permit.valid_at(datetime(2027, 12, 31, 15, 59, tzinfo=UTC))  # 23:59 in Ordos
        assert not permit.valid_at(datetime(2028, 1, 1, tzinfo=UTC))
        vehicle = vehicles[permit.permit_id.replace("PMT-", "EXT-")]
        assert vehicle.site_id == permit.depot_id and permit.plate in vehicle.name
        assert city.permit(permit.permit_id) is permit


def test_routes_stay_close_to_the_straight_line() -> None:
    for permit in built("city").permits:
        direct = distance_km(
            permit.route[0].lat, permit.route[0].lon, permit.route[-1].lat, permit.route[-1].lon
        )
        legs = sum(distance_km(a.lat, a.lon, b.lat, b.lon) for a, b in pairwise(permit.route))
        assert direct - 1e-6 <= legs <= 1.5 * direct + 1.0, permit.permit_id


def test_sites_of_and_lookups_answer_none_for_unknown_ids() -> None:
    city = built("small")
    assert city.site("SQ-ZZ-99") is None
    assert city.depot("DEP-ZZ-99") is None
    assert city.permit("PMT-9999") is None
    assert city.devices_at("SQ-ZZ-99") == ()
    assert sum(len(city.sites_of(kind)) for kind in SiteKind) == len(city.sites)


def test_explosives_sites_follow_the_mines_not_the_towns() -> None:
    city = built("city")
    mining = {s.place.district for s in city.sites_of(SiteKind.DEPOT) + city.sites_of(SiteKind.BLASTING_SITE)}
    assert "Kangbashi" not in mining  # the new town has no mines
    assert "Jungar" in mining
