"""Each scenario injects what its ground truth claims, and the claim is true of the messages it sent."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import pairwise
from typing import Any

import orjson
import pytest

from pipeline.city import build_city
from pipeline.contracts.alert import Severity
from pipeline.contracts.envelope import TOKEN_PATTERN
from pipeline.contracts.families import FAMILIES
from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.rules.settings import RuleSettings
from pipeline.simulate import CitySimulator, MessageKind, SimulatedMessage, SimulationWorld
from pipeline.simulate.explosives import open_window
from pipeline.simulate.geo import distance_km, distance_to_route_km
from pipeline.simulate.scenarios import (
    SCENARIOS,
    GroundTruth,
    ScenarioError,
    ScenarioPlan,
    plan_scenarios,
    resolve,
)
from pipeline.stages.privacy import Pseudonymiser
from tests.unit.test_city import built

WORLD = SimulationWorld.from_city(build_city("small", 7))
REGISTRY = {d.device_id: d for d in WORLD.devices}
RULES_OF_PERSON = ("watchlist.person", "watchlist.face")
START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 local: every depot is open
PSEUDONYMISER = Pseudonymiser(b"scenario-test-key-0123456789abcd")
RATE = 20.0


@cache
def run(*names: str) -> tuple[ScenarioPlan, CitySimulator, tuple[SimulatedMessage, ...]]:
    """The plan, the simulator and its stream until every alert of the plan is due."""
    plan = plan_scenarios(WORLD, resolve(names), 7, START.timestamp(), PSEUDONYMISER)
    simulator = CitySimulator(
        WORLD, 7, RATE, start=START, plan=plan, malformed_share=0.02, duplicate_share=0.02
    )
    end = plan.end_ts()
    assert end is not None
    messages = tuple(simulator.take(int((end - START.timestamp() + 10) * RATE)))
    return plan, simulator, messages


def documents(messages: tuple[SimulatedMessage, ...]) -> dict[str, dict[str, Any]]:
    return {
        m.event_id: orjson.loads(m.value) for m in messages if m.kind is MessageKind.INJECTED and m.event_id
    }


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_ground_truth_is_complete_and_consistent_with_the_stream(name: str) -> None:
    plan, simulator, messages = run(name)
    assert plan.ground_truth and simulator.ground_truth() == plan.ground_truth
    sent = {m.event_id: m for m in messages if m.kind is MessageKind.INJECTED}
    for truth in plan.ground_truth:
        assert truth.scenario == name
        assert truth.rule in SCENARIOS[name].rules
        assert truth.trigger_event_id in truth.evidence_event_ids
        evidence = [sent[event_id] for event_id in truth.evidence_event_ids]  # every one was sent
        assert all(m.scenario == name for m in evidence)
        assert {m.key.decode() for m in evidence} == set(truth.device_ids)
        times = [m.event_time for m in evidence]
        assert (min(times), max(times)) == (truth.first_event_time, truth.last_event_time)  # type: ignore[type-var]
        for message in evidence:
            FAMILIES[message.family].adapter.validate_json(message.value)
    complete, incomplete = simulator.scenario_status()
    assert complete == [name] and not incomplete


def truth_of(name: str, rule: str) -> tuple[GroundTruth, dict[str, dict[str, Any]], ScenarioPlan]:
    plan, _, messages = run(name)
    (truth,) = [g for g in plan.ground_truth if g.rule == rule][:1]
    return truth, documents(messages), plan


def test_wanted_plate_crosses_every_ring_without_looking_cloned() -> None:
    plan, _, messages = run("wanted-plate-rings")
    (entry,) = plan.plate_watch
    reads = [documents(messages)[g.trigger_event_id] for g in plan.ground_truth]
    registry = {d.device_id: d for d in WORLD.devices}
    assert [registry[r["device_id"]].ring for r in reads] == ["city", "banner", "core"]
    assert {r["plate"] for r in reads} == {entry.plate} == {g.subject for g in plan.ground_truth}
    for first, second in pairwise(reads):
        a, b = registry[first["device_id"]].place, registry[second["device_id"]].place
        gap = datetime.fromisoformat(second["event_time"]) - datetime.fromisoformat(first["event_time"])
        assert distance_km((a.lat, a.lon), (b.lat, b.lon)) / (gap.total_seconds() / 3600) <= 121


def test_cloned_plate_is_seen_impossibly_fast_at_two_places() -> None:
    truth, docs, plan = truth_of("cloned-plate", "plate.cloned")
    first, second = (docs[i] for i in truth.evidence_event_ids)
    registry = {d.device_id: d for d in WORLD.devices}
    a, b = registry[first["device_id"]].place, registry[second["device_id"]].place
    seconds = (truth.last_event_time - truth.first_event_time).total_seconds()
    assert distance_km((a.lat, a.lon), (b.lat, b.lon)) / (seconds / 3600) > 500
    assert first["plate"] == second["plate"] == truth.subject
    assert not plan.plate_watch


def test_wanted_person_is_named_by_token_on_the_watch_list_and_in_the_ground_truth() -> None:
    gate_truth, docs, plan = truth_of("wanted-person-station", "watchlist.person")
    face_truth, _, _ = truth_of("wanted-person-station", "watchlist.face")
    (entry,) = plan.person_watch
    read = docs[gate_truth.trigger_event_id]
    face = docs[face_truth.trigger_event_id]
    assert re.fullmatch(TOKEN_PATTERN, gate_truth.subject)
    assert PSEUDONYMISER.token(read["id_number"]) == gate_truth.subject == entry.subject_token
    assert PSEUDONYMISER.token(face["candidate_id_number"]) == face_truth.subject == entry.subject_token
    assert face["similarity"] >= 0.9 and read["result"] == "pass"
    gate = next(d for d in WORLD.devices if d.device_id == read["device_id"])
    assert gate.subtype == "exit_gate"


def _gate_and_face(plan: ScenarioPlan) -> tuple[GroundTruth, ...]:
    return tuple(next(g for g in plan.ground_truth if g.rule == rule) for rule in RULES_OF_PERSON)


def _apart_m(truths: tuple[GroundTruth, ...], registry: dict[str, DeviceRecord]) -> float:
    gate, face = (registry[t.device_ids[0]].place for t in truths)
    return 1000 * distance_km((gate.lat, gate.lon), (face.lat, face.lon))


def test_wanted_person_station_sees_the_face_at_another_place_and_no_incident_is_expected() -> None:
    plan, _, _ = run("wanted-person-station")
    gate_truth, face_truth = truths = _gate_and_face(plan)
    assert REGISTRY[face_truth.device_ids[0]].site_id is None  # a street system, not the exit hall's
    assert _apart_m(truths, REGISTRY) > 2 * RuleSettings().corroboration_radius_m  # not 'one place'
    ride = face_truth.first_event_time - gate_truth.first_event_time
    taxi_s = 3600 * _apart_m(truths, REGISTRY) / 1000 / 60  # at 60 km/h
    assert ride.total_seconds() >= max(180, taxi_s) - 0.001  # event times are to the microsecond
    assert "corroboration.incident" not in {g.rule for g in plan.ground_truth}


def test_on_the_city_profile_the_station_person_is_seen_within_the_window_but_elsewhere() -> None:
    # The small city's street face systems are kilometres from its exits; the city's are not: there the
    # scenario shows that time alone does not make an incident.
    city = built("city")
    plan = plan_scenarios(
        SimulationWorld.from_city(city),
        resolve(["wanted-person-station"]),
        7,
        START.timestamp(),
        PSEUDONYMISER,
    )
    truths = _gate_and_face(plan)
    assert _apart_m(truths, dict(city.devices_by_id)) > 2 * RuleSettings().corroboration_radius_m
    assert truths[1].first_event_time - truths[0].first_event_time <= RuleSettings().corroboration_window


def test_corroborated_person_is_seen_by_a_gate_and_a_face_system_of_one_site() -> None:
    plan, _, messages = run("wanted-person-corroborated")
    docs = documents(messages)
    (entry,) = plan.person_watch
    by_rule = {g.rule: g for g in plan.ground_truth}
    assert set(by_rule) == {*RULES_OF_PERSON, "corroboration.incident"}
    read = docs[by_rule["watchlist.person"].trigger_event_id]
    face = docs[by_rule["watchlist.face"].trigger_event_id]
    gate, camera = REGISTRY[read["device_id"]], REGISTRY[face["device_id"]]
    assert gate.family is DeviceFamily.ID_GATE and camera.family is DeviceFamily.FACE_RECOGNITION
    assert gate.site_id is not None and gate.site_id == camera.site_id and gate.place == camera.place
    assert PSEUDONYMISER.token(read["id_number"]) == PSEUDONYMISER.token(face["candidate_id_number"])
    assert {g.subject for g in plan.ground_truth} == {entry.subject_token}
    assert read["result"] == "pass" and face["similarity"] >= RuleSettings().face_similarity_min
    incident = by_rule["corroboration.incident"]
    assert set(incident.evidence_event_ids) == {read["event_id"], face["event_id"]}
    assert incident.trigger_event_id == face["event_id"]  # the second family's hit opens it
    assert incident.last_event_time - incident.first_event_time <= RuleSettings().corroboration_window
    # priority 2: the hits are high, the incident one step up
    assert entry.priority == 2 and by_rule["watchlist.person"].severity is Severity.HIGH
    assert by_rule["watchlist.face"].severity is Severity.HIGH and incident.severity is Severity.CRITICAL


def test_id_face_mismatch_is_a_strong_mismatch_denied_for_it() -> None:
    truth, docs, _ = truth_of("id-face-mismatch", "id_gate.face_mismatch")
    event = docs[truth.trigger_event_id]
    assert event["face_similarity"] < 0.6 and event["deny_reason"] == "face_mismatch"
    assert PSEUDONYMISER.token(event["id_number"]) == truth.subject


def test_id_gate_denials_are_one_card_refused_three_times_within_the_window_at_two_lanes() -> None:
    truth, docs, plan = truth_of("id-gate-denials", "id_gate.repeated_denials")
    denials = [docs[i] for i in truth.evidence_event_ids]
    settings = RuleSettings()
    assert len(denials) > settings.id_denials_min
    assert all(d["result"] == "deny" and d["deny_reason"] == "id_expired" for d in denials)
    # their own face: nothing for id_gate.face_mismatch; not watched: nothing for watchlist.person
    assert all(d["face_similarity"] >= settings.id_face_mismatch_below for d in denials)
    assert not plan.person_watch
    assert {PSEUDONYMISER.token(d["id_number"]) for d in denials} == {truth.subject}
    gates = {REGISTRY[d["device_id"]] for d in denials}
    assert (
        len(gates) == 2
        and len({g.site_id for g in gates}) == 1
        and all(g.subtype == "exit_gate" for g in gates)
    )
    times = [datetime.fromisoformat(d["event_time"]) for d in denials]
    trigger = truth.evidence_event_ids.index(truth.trigger_event_id)
    assert trigger == settings.id_denials_min - 1  # the third denial makes the burst
    assert times[trigger] - times[0] <= settings.id_denials_window
    assert times[-1] - times[0] <= settings.id_denials_window  # the rest join the same burst


def test_crowd_surge_evidence_is_every_count_over_capacity() -> None:
    truth, docs, _ = truth_of("crowd-surge", "crowd.density")
    (zone,) = [z for z in WORLD.crowd_zones if z.zone_id == truth.subject]
    counts = [d for d in docs.values() if d.get("zone_id") == zone.zone_id]
    assert max(d["count"] for d in counts) > zone.capacity
    assert {d["event_id"] for d in counts if d["count"] > zone.capacity} == set(truth.evidence_event_ids)
    _, _, messages = run("crowd-surge")
    background = [
        orjson.loads(m.value) for m in messages if m.schema == "crowd_count" and m.kind is MessageKind.EVENT
    ]
    assert all(d["zone_id"] != zone.zone_id for d in background)  # the scenario owns the zone's counts


def test_depot_door_opens_outside_the_hours_the_pipeline_knows() -> None:
    truth, docs, plan = truth_of("depot-after-hours", "explosives.depot_after_hours")
    event = docs[truth.trigger_event_id]
    depot = next(iter(plan.depots), None) or WORLD.depots_by_id[truth.subject]
    assert depot.depot_id == truth.subject and event["action"] == "open"
    assert not open_window(depot, datetime.fromisoformat(event["event_time"]).timestamp(), (0.0, 0.0))


def test_inventory_drops_without_a_dispatch() -> None:
    truth, docs, _ = truth_of("inventory-drop", "explosives.inventory_drop")
    event = docs[truth.trigger_event_id]
    assert event["dispatch_id"] is None
    assert event["count"] < WORLD.depots_by_id[truth.subject].stock[event["item"]]


def test_truck_evidence_is_every_fix_outside_the_corridor() -> None:
    truth, docs, plan = truth_of("truck-off-route", "explosives.off_corridor")
    permits = {p.permit_id: p for p in [*WORLD.permits, *plan.permits]}
    fixes = [d for d in docs.values() if d.get("plate") == truth.subject]
    outside = set()
    for fix in fixes:
        permit = permits[fix["permit_id"]]
        metres = 1000 * distance_to_route_km((fix["lat"], fix["lon"]), [(p.lat, p.lon) for p in permit.route])
        if metres > permit.corridor_m:
            outside.add(fix["event_id"])
            assert metres > 1.2 * permit.corridor_m  # no fix sits on the edge
    assert outside == set(truth.evidence_event_ids)


def test_stopped_truck_stands_on_its_route_away_from_depot_and_site_longer_than_its_permit_allows() -> None:
    truth, docs, plan = truth_of("truck-stopped", "explosives.stopped_too_long")
    permits = {p.permit_id: p for p in [*WORLD.permits, *plan.permits]}
    fixes = sorted(
        (d for d in docs.values() if d.get("plate") == truth.subject), key=lambda d: d["event_time"]
    )
    (permit,) = {permits[f["permit_id"]] for f in fixes}
    settings = RuleSettings()
    route = [(p.lat, p.lon) for p in permit.route]
    still = [n for n, f in enumerate(fixes) if f["speed_kmh"] <= settings.stop_speed_kmh]
    assert still[0] > 0 and still == list(range(still[0], still[-1] + 1)) and still[-1] < len(fixes) - 1
    standing = [fixes[n] for n in still]  # one stop, driving before and after it
    since = datetime.fromisoformat(standing[0]["event_time"])
    stood = datetime.fromisoformat(standing[-1]["event_time"]) - since
    assert stood.total_seconds() > 60 * permit.max_stop_minutes  # longer than allowed
    ends = [route[0], route[-1]] + [
        (site.place.lat, site.place.lon)
        for site in WORLD.sites
        if site.site_id in {permit.depot_id, permit.destination_site_id}
    ]
    for fix in standing:  # not loading or unloading: well clear of the exempt 500 m
        assert min(distance_km((fix["lat"], fix["lon"]), end) for end in ends) > 1.5
    for fix in fixes:  # on the road and on a valid permit: nothing for explosives.off_corridor
        assert 1000 * distance_to_route_km((fix["lat"], fix["lon"]), route) < 0.25 * permit.corridor_m
        assert permit.valid_at(datetime.fromisoformat(fix["event_time"]))
    assert truth.evidence_event_ids[0] == standing[0]["event_id"]
    trigger = datetime.fromisoformat(docs[truth.trigger_event_id]["event_time"])
    assert truth.expected_after == since + timedelta(minutes=permit.max_stop_minutes) < trigger
    assert (trigger - truth.expected_after).total_seconds() <= 10  # the first standing fix past the limit


def test_video_loss_lasts_past_the_grace_period_on_one_channel_and_not_on_the_other() -> None:
    truth, _, _ = truth_of("camera-video-loss", "device.video_loss")
    _, _, messages = run("camera-video-loss")
    own = [orjson.loads(m.value) for m in messages if m.key == truth.subject.encode()]
    assert own and all(d["schema"] == "camera_video_loss" for d in own)  # reserved: nothing else of it
    grace = RuleSettings().video_loss_after
    lasted: dict[int, timedelta] = {}
    for channel in {d["channel"] for d in own}:
        changes = [d for d in own if d["channel"] == channel]
        assert [d["lost"] for d in changes] == [True, False]
        lost, back = (datetime.fromisoformat(d["event_time"]) for d in changes)
        lasted[channel] = back - lost
        if lasted[channel] > grace:
            assert changes[0]["event_id"] == truth.trigger_event_id
    assert sorted(lasted.values())[0] < grace < sorted(lasted.values())[-1]
    assert truth.expected_after is not None and truth.expected_after - truth.first_event_time == grace


def test_offline_camera_goes_silent_after_its_last_heartbeat() -> None:
    truth, _, _ = truth_of("camera-offline", "device.offline")
    _, _, messages = run("camera-offline")
    beats = [m for m in messages if m.key == truth.subject.encode()]
    assert beats[-1].event_id == truth.trigger_event_id
    assert all(m.schema == "camera_heartbeat" for m in beats)
    assert truth.expected_after is not None
    assert (truth.expected_after - truth.last_event_time).total_seconds() == 180


@pytest.mark.parametrize(
    ("name", "rule", "check"),
    [
        ("camera-tamper", "device.tamper", lambda d: d["schema"] == "camera_tamper" and d["score"] > 0.9),
        ("school-emergency", "school.emergency", lambda d: d["test"] is False),
    ],
)
def test_single_event_scenarios(name: str, rule: str, check: Any) -> None:
    truth, docs, _ = truth_of(name, rule)
    assert check(docs[truth.trigger_event_id])


def test_community_denials_reach_five_within_five_minutes() -> None:
    truth, docs, _ = truth_of("community-denials", "access.repeated_denials")
    denials = [docs[i] for i in truth.evidence_event_ids]
    assert all(d["granted"] is False for d in denials) and len(denials) >= 5
    fifth = datetime.fromisoformat(docs[truth.trigger_event_id]["event_time"])
    assert (fifth - datetime.fromisoformat(denials[0]["event_time"])).total_seconds() < 300


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_message_a_scenario_sends_is_a_valid_event_of_its_family(name: str) -> None:
    plan, _, messages = run(name)
    injected = [m for m in messages if m.kind is MessageKind.INJECTED]
    assert sorted(str(m.event_id) for m in injected) == sorted(str(s.message.event_id) for s in plan.messages)
    for message in injected:
        event = FAMILIES[message.family].adapter.validate_json(message.value)
        assert event.device_id == message.key.decode() and event.event_id == message.event_id
        assert REGISTRY[event.device_id].family is message.family  # a registered device of that family


def test_all_runs_every_scenario_on_devices_of_its_own() -> None:
    plan, simulator, _ = run("all")
    assert plan.scenarios == tuple(SCENARIOS)
    assert len(simulator.ground_truth()) == len(plan.ground_truth) == 21
    owners: dict[str, set[str]] = defaultdict(set)
    for injection in plan.injections:
        for scheduled in injection.messages:
            owners[scheduled.message.key.decode()].add(injection.scenario)
    shared = {device: names for device, names in owners.items() if len(names) > 1}
    assert not shared


def test_background_never_carries_a_watched_plate_or_person() -> None:
    plan, _, messages = run("all")
    watched = [e.plate.encode() for e in plan.plate_watch] + [p.encode() for p in plan.reserved.id_numbers]
    for message in messages:
        if message.kind is not MessageKind.INJECTED:
            assert not any(subject in message.value for subject in watched)


def test_scenarios_are_deterministic_for_a_seed() -> None:
    first = plan_scenarios(WORLD, resolve(["all"]), 3, START.timestamp(), PSEUDONYMISER)
    again = plan_scenarios(WORLD, resolve(["all"]), 3, START.timestamp(), PSEUDONYMISER)
    assert [g.as_json() for g in first.ground_truth] == [g.as_json() for g in again.ground_truth]
    other = plan_scenarios(WORLD, resolve(["all"]), 4, START.timestamp(), PSEUDONYMISER)
    assert [g.as_json() for g in first.ground_truth] != [g.as_json() for g in other.ground_truth]


def test_person_scenarios_refuse_to_run_without_a_key() -> None:
    with pytest.raises(ScenarioError, match="WARMCITY_PRIVACY_HMAC_KEY"):
        plan_scenarios(WORLD, resolve(["wanted-person-station"]), 7, START.timestamp())
    plan_scenarios(WORLD, resolve(["camera-tamper"]), 7, START.timestamp())  # no person: no key needed


def test_unknown_scenarios_are_named() -> None:
    with pytest.raises(ScenarioError, match="unknown scenario alien-landing"):
        resolve(["alien-landing"])


def test_a_registry_without_the_devices_a_scenario_needs_is_refused() -> None:
    cameras_only = WORLD.with_devices(WORLD.devices_of(DeviceFamily.CAMERA))
    with pytest.raises(ScenarioError, match=r"school-emergency: .*alarm button"):
        plan_scenarios(cameras_only, resolve(["school-emergency"]), 7, START.timestamp())


def test_depot_hours_are_revised_only_when_the_depot_is_open() -> None:
    night = datetime(2026, 12, 1, 15, 0, tzinfo=UTC).timestamp()  # 23:00 local: every depot is closed
    plan = plan_scenarios(WORLD, resolve(["depot-after-hours"]), 7, night)
    assert not plan.depots
    day = plan_scenarios(WORLD, resolve(["depot-after-hours"]), 7, START.timestamp())
    assert len(day.depots) == 1
