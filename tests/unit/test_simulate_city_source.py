"""The city simulator's stream: deterministic, mixed as documented, broken/retried/late where asked."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import orjson
import pytest

from pipeline.city import build_city
from pipeline.contracts.families import FAMILIES
from pipeline.contracts.reference import DeviceFamily
from pipeline.simulate import CitySimulator, MessageKind, SimulatedMessage, SimulationWorld
from pipeline.simulate.streams import DENIAL_WINDOW_S, MAX_BACKGROUND_DENIALS, DenialLimiter

WORLD = SimulationWorld.from_city(build_city("small", 7))
START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 local
ALL_SHARES: dict[str, Any] = {
    "malformed_share": 0.05,
    "duplicate_share": 0.05,
    "late_share": 0.05,
    "unknown_device_share": 0.02,
}


WATCHED = ("蒙K8A888", "陕KD12345")


def simulator(seed: int = 7, rate: float = 200.0, **options: Any) -> CitySimulator:
    return CitySimulator(WORLD, seed, rate, start=START, **options)


def valid(message: SimulatedMessage) -> Any:
    return FAMILIES[message.family].adapter.validate_json(message.value)


@pytest.mark.parametrize("seed", [0, 7, 99])
def test_same_seed_start_and_rate_give_the_same_stream(seed: int) -> None:
    options = {**ALL_SHARES, "watched_plates": WATCHED, "inject_every": 7}
    assert simulator(seed, **options).take(3000) == simulator(seed, **options).take(3000)


def test_another_seed_gives_another_stream() -> None:
    assert [m.value for m in simulator(1).take(50)] != [m.value for m in simulator(2).take(50)]


def test_plain_messages_are_valid_events_keyed_by_their_registered_device() -> None:
    registered = {d.device_id: d.family for d in WORLD.devices}
    messages = simulator().take(5000)
    assert {m.kind for m in messages} == {MessageKind.EVENT}
    for message in messages:
        event = valid(message)
        assert message.key == event.device_id.encode()
        assert registered[event.device_id] is message.family
        assert message.event_id == event.event_id and message.schema == event.schema_name
    assert len({m.event_id for m in messages}) == len(messages)  # only retries repeat an event


def test_plate_reads_dominate_in_daytime_and_every_family_sends() -> None:
    families = Counter(m.family for m in simulator(rate=20.0).take(20_000))
    assert families.most_common(1)[0][0] is DeviceFamily.VEHICLE_CHECKPOINT
    assert set(families) == set(DeviceFamily)


def test_the_mix_follows_the_hour() -> None:
    shares = simulator().mix.shares
    day, night = shares(10), shares(3)
    assert day["plate_read"] > 0.5
    assert night.get("campus_access", 0.0) < day["campus_access"]
    assert abs(sum(day.values()) - 1.0) < 1e-9


def test_event_time_comes_before_send_time_and_devices_arrive_out_of_order() -> None:
    rate = 200.0
    messages = simulator(rate=rate).take(4000)
    times = []
    for slot, message in enumerate(messages):
        assert message.event_time is not None
        delay = START.timestamp() + slot / rate - message.event_time.timestamp()
        if message.schema != "camera_heartbeat":  # heartbeats keep their own cadence
            assert 0 < delay <= 4.5
        times.append(message.event_time)
    assert any(later < earlier for earlier, later in pairwise(times))


def test_heartbeats_keep_a_60_second_cadence_per_camera() -> None:
    beats: dict[bytes, list[datetime]] = defaultdict(list)
    for message in simulator(7, 20.0, **ALL_SHARES).take(30_000):
        if message.schema == "camera_heartbeat" and message.kind is MessageKind.EVENT:
            assert message.event_time is not None
            beats[message.key].append(message.event_time)
    assert len(beats) == len(WORLD.devices_of(DeviceFamily.CAMERA))
    for times in beats.values():
        gaps = {b - a for a, b in pairwise(times)}
        assert gaps == {timedelta(seconds=60)}


def test_a_background_plate_is_read_at_one_checkpoint_only() -> None:
    where: dict[str, set[bytes]] = defaultdict(set)
    for message in simulator(rate=20.0).take(30_000):
        if message.schema == "plate_read":
            where[orjson.loads(message.value)["plate"]].add(message.key)
    assert len(where) > 5000
    assert all(len(checkpoints) == 1 for checkpoints in where.values())
    permit_plates = {p.plate for p in WORLD.permits}
    assert not permit_plates & set(where)


def test_only_the_selected_families_send() -> None:
    chosen = {DeviceFamily.SCHOOL, DeviceFamily.EXPLOSIVES}
    messages = simulator(families=chosen).take(3000)
    assert {m.family for m in messages} == chosen


def test_denial_limiter_keeps_any_five_minutes_to_three_denials() -> None:
    limiter = DenialLimiter()
    accepted = [t for t in range(0, 3600, 7) if limiter.allow("COM-DS-0001-PG", float(t))]
    assert len(accepted) > 10
    for start in accepted:
        window = [t for t in accepted if start <= t < start + DENIAL_WINDOW_S]
        assert len(window) <= MAX_BACKGROUND_DENIALS
    # A late event (up to 15 minutes old) landing inside a full window is refused as well.
    full = [t for t in accepted if t >= accepted[-1] - 900][:3]
    assert len(full) == 3 and full[-1] - full[0] < DENIAL_WINDOW_S
    assert limiter.allow("COM-DS-0001-PG", float(full[1]) + 1) is False
    assert limiter.allow("COM-DS-0002-PG", float(full[1]) + 1) is True  # per device


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rate_per_s": 0.0}, "rate_per_s"),
        ({"malformed_share": 1.0}, "malformed_share"),
        ({"malformed_share": {DeviceFamily.CAMERA: -0.1}}, "malformed_share"),
        ({"duplicate_share": 1.5}, "duplicate_share"),
        ({"late_share": -0.1}, "late_share"),
        ({"unknown_device_share": 1.0}, "unknown_device_share"),
        ({"inject_every": -1}, "inject_every"),
        ({"families": [DeviceFamily.CAMERA], "world": SimulationWorld(())}, "nothing to simulate"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], message: str) -> None:
    arguments = {"world": WORLD, "seed": 7, "rate_per_s": 100.0, **options}
    with pytest.raises(ValueError, match=message):
        CitySimulator(start=START, **arguments)


@pytest.mark.parametrize("every", [5, 50, 100])
def test_watched_plates_are_read_in_turn_at_their_own_checkpoint_every_n_messages(every: int) -> None:
    # A slot goes to a due heartbeat or queued message first: a cadence of 1 or 2 can lose one to them.
    messages = simulator(watched_plates=WATCHED, inject_every=every, malformed_share=0.1).take(every * 20)
    injected = [i for i, m in enumerate(messages, start=1) if m.kind is MessageKind.INJECTED]
    assert injected == list(range(every, every * 20 + 1, every))  # and never broken
    reads = [valid(messages[i - 1]) for i in injected]
    assert [r.plate for r in reads] == [WATCHED[k % 2] for k in range(20)]  # in turn
    for plate in WATCHED:
        keys = {messages[i - 1].key for i, r in zip(injected, reads, strict=True) if r.plate == plate}
        assert len(keys) == 1  # always the plate's own checkpoint
    assert all(messages[i - 1].key == r.device_id.encode() for i, r in zip(injected, reads, strict=True))
    background = [m for m in messages if m.kind is not MessageKind.INJECTED]
    assert not any(b"8A888" in m.value or b"KD12345" in m.value for m in background)


def test_watched_plates_are_normalised_like_plate_reads() -> None:
    messages = simulator(watched_plates=["蒙k 8a-888"], inject_every=5).take(5)
    assert messages[-1].kind is MessageKind.INJECTED
    assert valid(messages[-1]).plate == "蒙K8A888"


@pytest.mark.parametrize("plate", ["", "蒙K", "蒙K8A888!!", "X" * 11])
def test_an_invalid_watched_plate_is_refused(plate: str) -> None:
    with pytest.raises(ValueError, match="invalid plate"):
        simulator(watched_plates=[plate], inject_every=1)


def test_no_injection_without_watched_plates() -> None:
    messages = simulator(inject_every=3).take(300)
    assert {m.kind for m in messages} == {MessageKind.EVENT}


def test_the_natural_rate_is_what_the_devices_send_at_their_own_pace() -> None:
    sim = simulator()
    cameras = len(WORLD.devices_of(DeviceFamily.CAMERA))
    day = sim.natural_rate_per_s()
    night = sim.natural_rate_per_s(START.replace(hour=19))  # 03:00 local
    assert day > night > cameras / 60
    checkpoints = len(WORLD.devices_of(DeviceFamily.VEHICLE_CHECKPOINT))
    assert day > 4 * checkpoints * 0.7  # plate reads at 70% of their peak at 10:00


def test_the_start_comes_from_the_clock_when_not_given() -> None:
    sim = CitySimulator(WORLD, 7, 100.0, clock=lambda: START)
    assert sim.start == START
    assert sim.take(100) == simulator(rate=100.0).take(100)


def test_scenario_plates_never_look_like_a_background_plate() -> None:
    import random

    from pipeline.rules.plates import fold_plate
    from pipeline.simulate.fleet import SERIAL_SPACE, fleet_vehicle, outside_plate

    rng = random.Random(1)
    folded = {fold_plate(outside_plate(rng)) for _ in range(2000)}
    background = {fold_plate(fleet_vehicle(n).plate) for n in range(0, SERIAL_SPACE, 7)}
    assert not folded & background


def test_look_alikes_of_a_watched_plate_stay_out_of_the_background() -> None:
    from pipeline.rules.plates import fold_plate

    watched = "蒙K8B888"  # reads as 蒙KBB888, 蒙K88888, ... to the watch-list rule
    messages = simulator(rate=20.0, watched_plates=[watched]).take(20_000)
    plates = [
        orjson.loads(m.value)["plate"] for m in messages if m.schema in {"plate_read", "vehicle_access"}
    ]
    assert len(plates) > 15_000
    assert fold_plate(watched) not in {fold_plate(p) for p in plates}


def test_iterating_is_endless_and_counts() -> None:
    sim = simulator()
    stream = iter(sim)
    messages = [next(stream) for _ in range(10)]
    assert sim.produced == 10
    assert messages == simulator().take(10)
