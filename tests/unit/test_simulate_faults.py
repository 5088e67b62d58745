"""The city simulator's faults: late events, retried duplicates, malformed messages, unknown devices, at the
shares asked, and never one that fakes a silence."""

from __future__ import annotations

from collections import defaultdict

import orjson
import pytest
from pydantic import ValidationError

from pipeline.contracts.families import FAMILIES
from pipeline.contracts.reference import DeviceFamily
from pipeline.errors import InvalidEvent
from pipeline.simulate import CitySimulator, MalformedKind, MessageKind, SimulatedMessage, SimulationWorld
from pipeline.stages.validate import validate_event
from tests.unit.test_simulate_city_source import START, WORLD, simulator, valid


@pytest.mark.parametrize("share", [0.01, 0.1])
def test_late_events_are_minutes_late_at_the_share_asked(share: float) -> None:
    rate = 200.0
    messages = simulator(rate=rate, late_share=share).take(20_000)
    late = [(slot, m) for slot, m in enumerate(messages) if m.late]
    eligible = sum(m.schema != "camera_heartbeat" for m in messages)
    assert abs(len(late) / eligible - share) < share * 0.25
    for slot, message in late:
        assert message.event_time is not None
        delay = START.timestamp() + slot / rate - message.event_time.timestamp()
        assert 120 <= delay <= 900
    assert not any(m.late for m in messages if m.schema == "camera_heartbeat")


@pytest.mark.parametrize("share", [0.02, 0.2])
def test_each_family_is_malformed_at_the_share_asked(share: float) -> None:
    messages = simulator(rate=20.0, malformed_share=share).take(30_000)
    by_family: dict[DeviceFamily, list[SimulatedMessage]] = defaultdict(list)
    for message in messages:
        by_family[message.family].append(message)
    for family, sent in by_family.items():
        if len(sent) >= 500:
            broken = sum(m.kind is MessageKind.MALFORMED for m in sent)
            assert abs(broken / len(sent) - share) < max(0.01, share * 0.3), family


def test_malformed_share_can_be_set_per_family() -> None:
    messages = simulator(malformed_share={DeviceFamily.ID_GATE: 0.5}).take(5000)
    broken = {m.family for m in messages if m.kind is MessageKind.MALFORMED}
    assert broken == {DeviceFamily.ID_GATE}


def malformed_messages() -> list[SimulatedMessage]:
    messages = simulator(rate=20.0, malformed_share=0.5).take(8000)
    return [m for m in messages if m.kind is MessageKind.MALFORMED]


def test_malformed_messages_fail_validation_as_json_and_after_a_parse() -> None:
    registered = {d.device_id for d in WORLD.devices}
    malformed = malformed_messages()
    assert {m.malformed_kind for m in malformed} == set(MalformedKind)
    for message in malformed:
        assert message.key.decode() in registered  # a registered device sent it broken
        adapter = FAMILIES[message.family].adapter
        with pytest.raises(ValidationError):
            adapter.validate_json(message.value)
        try:
            document = orjson.loads(message.value)
        except orjson.JSONDecodeError:
            assert message.malformed_kind in {MalformedKind.NOT_JSON, MalformedKind.TRUNCATED_JSON}
            continue
        assert message.malformed_kind not in {MalformedKind.NOT_JSON, MalformedKind.TRUNCATED_JSON}
        with pytest.raises(ValidationError):
            adapter.validate_python(document)


def test_every_malformed_message_is_rejected_by_the_validate_stage() -> None:
    for message in malformed_messages():
        with pytest.raises(InvalidEvent):
            validate_event(message.value, message.family)


def test_a_malformed_heartbeat_is_followed_by_the_good_one() -> None:
    messages = simulator(rate=20.0, malformed_share=0.3).take(20_000)
    good = {m.event_id for m in messages if m.schema == "camera_heartbeat" and m.kind is MessageKind.EVENT}
    broken = [m for m in messages if m.schema == "camera_heartbeat" and m.kind is MessageKind.MALFORMED]
    assert broken
    assert all(m.event_id in good for m in broken[:-5])  # the last ones may still be queued


@pytest.mark.parametrize("share", [0.01, 0.1])
def test_duplicates_repeat_key_bytes_and_event_id_shortly_after(share: float) -> None:
    messages = simulator(duplicate_share=share).take(20_000)
    first_seen: dict[bytes, int] = {}
    duplicates = 0
    for slot, message in enumerate(messages):
        if message.kind is MessageKind.DUPLICATE:
            duplicates += 1
            original = first_seen[message.value]  # the very same bytes were sent before
            assert messages[original].key == message.key
            assert messages[original].event_id == message.event_id == orjson.loads(message.value)["event_id"]
            assert 0 < slot - original <= 5.5 * 200  # a retry within seconds
        else:
            assert message.value not in first_seen or message.value == b""
            first_seen.setdefault(message.value, slot)
    assert abs(duplicates / len(messages) - share) < share * 0.3


def test_unknown_devices_send_valid_events_with_unregistered_ids() -> None:
    registered = {d.device_id for d in WORLD.devices}
    messages = simulator(unknown_device_share=0.1).take(5000)
    unknown = [m for m in messages if m.kind is MessageKind.UNKNOWN_DEVICE]
    assert 0.07 < len(unknown) / len(messages) < 0.13
    for message in unknown:
        event = valid(message)  # still a valid event: only the registry does not know the device
        assert event.device_id not in registered
        assert message.key == event.device_id.encode()


def test_a_broken_restore_is_followed_by_the_good_one() -> None:
    camera = WORLD.devices_of(DeviceFamily.CAMERA)[0]
    cameras = [camera.model_copy(update={"device_id": f"CAM-TS-{n:06d}"}) for n in range(3000)]
    sim = CitySimulator(SimulationWorld(tuple(cameras)), 7, 2.0, start=START, malformed_share=0.3)
    messages = sim.take(6000)  # 3,000 s: mostly video losses and their restores
    losses = [m for m in messages if m.schema == "camera_video_loss"]
    good = [orjson.loads(m.value) for m in losses if m.kind is MessageKind.EVENT]
    restored = {(d["device_id"], d["channel"]) for d in good if d["lost"] is False}
    lost = {(d["device_id"], d["channel"]) for d in good if d["lost"] is True}
    assert len(lost) > 1000 and sum(m.kind is MessageKind.MALFORMED for m in losses) > 300
    # Every loss that went through was restored (a broken restore is sent again), bar the last 2 minutes.
    assert len(lost - restored) <= 0.05 * len(lost)
