"""Every event type the city simulator makes is a valid contract document, byte for byte what pydantic writes,
and stays inside the margins that keep background traffic from raising alerts."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime

import orjson
import pytest

from pipeline.city import build_city
from pipeline.contracts.families import EVENT_TYPES, FAMILIES
from pipeline.contracts.plate_read import PlateColour, PlateRead, VehicleClass
from pipeline.contracts.reference import DeviceFamily
from pipeline.simulate import CitySimulator, SimulationWorld
from pipeline.simulate.explosives import open_window
from pipeline.simulate.geo import distance_to_route_km
from pipeline.simulate.identity import ORDOS_REGION_CODES, is_valid_id_number
from pipeline.simulate.streams import GeneratedEvent

WORLD = SimulationWorld.from_city(build_city("small", 7))
START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Ordos: depots open, schools in class
SAMPLE = 1500


def simulator(rate: float = 200.0) -> CitySimulator:
    return CitySimulator(WORLD, 7, rate, start=START)


def stream_events(schema: str, count: int = SAMPLE) -> list[GeneratedEvent]:
    """``count`` events of one background stream, sent over the 10:00 hour."""
    (stream,) = [s for s in simulator().streams if s.schema == schema]
    events = []
    for number in range(count):
        event = stream.make(START.timestamp() + number * 1800.0 / count)
        if event is not None:
            events.append(event)
    return events


BACKGROUND_SCHEMAS = sorted({s.schema for s in simulator().streams})


def test_the_background_covers_every_event_type_but_tamper() -> None:
    heartbeats = {m.schema for m in simulator().take(2000)}
    assert "camera_heartbeat" in heartbeats
    # Tamper events raise an alert whenever they occur: only the camera-tamper scenario sends them.
    assert {*BACKGROUND_SCHEMAS, "camera_heartbeat", "camera_tamper"} == set(EVENT_TYPES)


@pytest.mark.parametrize("schema", BACKGROUND_SCHEMAS)
def test_events_validate_and_serialise_like_the_contract(schema: str) -> None:
    registered = {d.device_id: d for d in WORLD.devices}
    events = stream_events(schema)
    assert len(events) >= SAMPLE // 2
    for event in events:
        value = orjson.dumps(event.document, option=orjson.OPT_UTC_Z)
        model = FAMILIES[event.family].adapter.validate_json(value)
        assert type(model) is EVENT_TYPES[schema]
        assert model.model_dump_json(by_alias=True).encode() == value  # same bytes a device library writes
        assert registered[event.device_id].family is event.family
    assert len({e.document["event_id"] for e in events}) == len(events)


def test_a_plate_read_is_the_device_json_with_the_schema_field() -> None:
    message = next(m for m in simulator().take(20) if m.schema == "plate_read")
    document = orjson.loads(message.value)
    assert document["schema"] == "plate_read"
    assert document["schema_version"] == 1
    assert "schema_name" not in document
    assert set(document) == {
        "schema", "schema_version", "event_id", "device_id", "event_time", "plate", "plate_colour",
        "direction", "lane", "speed_kmh", "vehicle_class", "confidence",
    }  # fmt: skip
    assert document["event_time"].endswith("Z")
    assert message.key == document["device_id"].encode()


def test_plate_reads_look_like_ordos_traffic() -> None:
    reads = [PlateRead.model_validate(e.document) for e in stream_events("plate_read", 5000)]
    prefixes = Counter(r.plate[:2] for r in reads)
    assert prefixes["蒙K"] / len(reads) > 0.6  # mostly local
    assert len(prefixes) >= 5  # and some from elsewhere
    colours = Counter(r.plate_colour for r in reads)
    assert colours.most_common(1)[0][0] is PlateColour.BLUE
    assert colours[PlateColour.YELLOW] > 0
    assert colours[PlateColour.GREEN] > 0
    trucks = [r for r in reads if r.vehicle_class in {VehicleClass.TRUCK, VehicleClass.BUS}]
    assert trucks
    assert all(r.plate_colour in {PlateColour.YELLOW, PlateColour.GREEN} for r in trucks)
    assert all(len(r.plate) == 8 for r in reads if r.plate_colour is PlateColour.GREEN)
    assert {r.lane for r in reads} <= set(range(1, 5))
    assert 30 < sum(r.speed_kmh for r in reads) / len(reads) < 100


def test_heartbeats_validate_and_serialise_like_the_contract() -> None:
    beats = [m for m in simulator(rate=20.0).take(20_000) if m.schema == "camera_heartbeat"]
    assert len(beats) > 300  # 20 cameras over 1,000 s
    for message in beats:
        model = FAMILIES[DeviceFamily.CAMERA].adapter.validate_json(message.value)
        assert model.model_dump_json(by_alias=True).encode() == message.value
        assert message.key == model.device_id.encode()


@pytest.mark.parametrize(
    ("schema", "fields"),
    [
        ("id_verification", ("id_number",)),
        ("face_capture", ("candidate_id_number",)),
        ("person_access", ("holder_id",)),
        ("campus_access", ("holder_id",)),
    ],
)
def test_id_numbers_look_like_ordos_resident_ids(schema: str, fields: tuple[str, ...]) -> None:
    numbers = [e.document[f] for e in stream_events(schema) for f in fields]
    ids = [n for n in numbers if isinstance(n, str) and len(n) == 18 and n[:17].isdigit()]
    assert len(ids) > 20
    for id_number in ids:
        assert is_valid_id_number(id_number)
        assert id_number[:6] in ORDOS_REGION_CODES
        assert 1930 <= int(id_number[6:10]) <= 2021
        assert int(id_number[14:17]) < 990  # the sequence codes scenarios reserve for themselves


def test_names_are_chinese_or_mongolian_names() -> None:
    names = Counter(e.document["name"] for e in stream_events("id_verification"))
    assert all(1 < len(name) <= 4 and all("\u4e00" <= ch <= "\u9fff" for ch in name) for name in names)
    assert len(names) > SAMPLE // 3


def test_crowd_counts_stay_well_under_capacity() -> None:
    capacity = {z.zone_id: z.capacity for z in WORLD.crowd_zones}
    for event in stream_events("crowd_count"):
        assert event.document["count"] <= 0.7 * capacity[event.document["zone_id"]]


def test_face_candidates_are_weak_matches() -> None:
    events = stream_events("face_capture")
    with_candidate = [e for e in events if e.document["candidate_id_number"] is not None]
    assert 0.05 < len(with_candidate) / len(events) < 0.2  # most captures have no candidate
    assert all(e.document["similarity"] < 0.8 for e in with_candidate)
    assert all(e.document["similarity"] is None for e in events if e.document["candidate_id_number"] is None)


def test_id_gates_mostly_pass_and_never_deny_a_strong_mismatch() -> None:
    events = stream_events("id_verification", 6000)
    results = Counter(e.document["result"] for e in events)
    assert 0.01 < results["deny"] / len(events) < 0.06
    reasons = Counter(e.document["deny_reason"] for e in events if e.document["deny_reason"])
    assert reasons.most_common(1)[0][0] == "face_mismatch"
    assert "watchlist" not in reasons
    for event in events:
        similarity = event.document["face_similarity"]
        if event.document["deny_reason"] == "face_mismatch":
            assert 0.62 <= similarity < 0.70
        else:
            assert similarity >= 0.72


def test_background_alarm_presses_are_all_tests() -> None:
    assert all(e.document["test"] is True for e in stream_events("emergency_alarm", 200))


def test_depot_doors_open_inside_the_permitted_hours_and_close_again() -> None:
    depots = {d.device_id: WORLD.depot_of(d) for d in WORLD.devices_of(DeviceFamily.EXPLOSIVES)}
    for event in stream_events("depot_door", 300):
        depot = depots[event.device_id]
        assert depot is not None and open_window(depot, event.event_ts)
        assert event.document["action"] == "open"
        assert event.follow_up is not None and event.follow_up.document["action"] == "close"
        assert 0 < event.follow_up.event_ts - event.event_ts <= 900


def test_inventory_drops_always_name_their_dispatch() -> None:
    stock = {d.device_id: WORLD.depot_of(d) for d in WORLD.devices_of(DeviceFamily.EXPLOSIVES)}
    events = stream_events("depot_inventory")
    for event in events:
        depot = stock[event.device_id]
        assert depot is not None
        nominal = depot.stock[event.document["item"]]
        if event.document["dispatch_id"] is None:
            assert event.document["count"] == nominal
        else:
            assert event.document["count"] < nominal
    assert any(e.document["dispatch_id"] for e in events)


def test_transport_positions_stay_in_their_corridor() -> None:
    permits = {p.permit_id: p for p in WORLD.permits}
    moving = 0
    for event in stream_events("transport_position"):
        permit = permits[event.document["permit_id"]]
        route = [(p.lat, p.lon) for p in permit.route]
        where = (event.document["lat"], event.document["lon"])
        assert distance_to_route_km(where, route) * 1000 <= permit.corridor_m * 0.26
        assert event.document["plate"] == permit.plate
        moving += event.document["speed_kmh"] > 0
    assert moving > 0


def test_thermal_readings_are_plausible() -> None:
    for event in stream_events("thermal_reading"):
        assert event.document["max_temp_c"] >= event.document["mean_temp_c"]
        assert -40 < event.document["mean_temp_c"] < 45


def test_campus_access_follows_school_hours() -> None:
    morning = stream_events("campus_access")
    inward = sum(e.document["direction"] == "in" for e in morning)
    assert math.isclose(inward / len(morning), 0.3, abs_tol=0.1)  # 10-12: mostly out (early leavers, lunch)
