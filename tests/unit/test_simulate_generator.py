"""The plate-read generator: deterministic, valid where meant to be, broken where meant to be."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from pipeline.city import build_city
from pipeline.contracts.plate_read import PlateColour, PlateRead, VehicleClass
from pipeline.simulate import MalformedKind, MessageKind, PlateReadGenerator, SimulatedMessage

NOW = datetime(2024, 7, 11, 2, 18, 37, tzinfo=UTC)
DEVICES = build_city("small", 7).devices
WATCHED = ("蒙K8A888", "陕KD12345")


def fixed_clock() -> datetime:
    return NOW


def generator(seed: int = 7, **options: Any) -> PlateReadGenerator:
    return PlateReadGenerator(DEVICES, seed, clock=fixed_clock, **options)


def valid(message: SimulatedMessage) -> PlateRead:
    read = PlateRead.model_validate_json(message.value)
    assert message.key == read.device_id.encode()
    return read


@pytest.mark.parametrize("seed", [0, 7, 99])
def test_same_seed_and_clock_give_the_same_stream(seed: int) -> None:
    options = {
        "watched_plates": WATCHED,
        "inject_every": 7,
        "malformed_share": 0.2,
        "unknown_device_share": 0.1,
    }
    assert generator(seed, **options).take(300) == generator(seed, **options).take(300)


def test_another_seed_gives_another_stream() -> None:
    assert generator(1).take(20) != generator(2).take(20)


def test_plain_messages_are_valid_plate_reads_from_registered_devices() -> None:
    ids = {d.device_id for d in DEVICES}
    messages = generator().take(2000)
    assert {m.kind for m in messages} == {MessageKind.PLATE_READ}
    reads = [valid(m) for m in messages]
    assert {r.device_id for r in reads} <= ids
    assert len({r.event_id for r in reads}) == len(reads)
    for read in reads:
        assert NOW - timedelta(seconds=2) <= read.event_time <= NOW


def test_value_is_the_device_json_with_the_schema_field() -> None:
    document = json.loads(generator().next_message().value)
    assert document["schema"] == "plate_read"
    assert document["schema_version"] == 1
    assert "schema_name" not in document
    assert set(document) == {
        "schema", "schema_version", "event_id", "device_id", "event_time", "plate", "plate_colour",
        "direction", "lane", "speed_kmh", "vehicle_class", "confidence",
    }  # fmt: skip
    assert document["event_time"].endswith("Z")


def test_traffic_looks_like_ordos() -> None:
    reads = [valid(m) for m in generator().take(5000)]
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


@pytest.mark.parametrize("every", [1, 5, 100])
def test_watched_plates_are_injected_at_the_requested_cadence(every: int) -> None:
    messages = generator(watched_plates=WATCHED, inject_every=every, malformed_share=0.1).take(every * 10)
    injected = [i for i, m in enumerate(messages, start=1) if m.kind is MessageKind.INJECTED]
    assert injected == list(range(every, every * 10 + 1, every))
    reads = [valid(messages[i - 1]) for i in injected]
    assert [r.plate for r in reads] == [WATCHED[k % 2] for k in range(10)]  # in turn
    watched_elsewhere = [m for m in messages if m.kind is not MessageKind.INJECTED and b"8A888" in m.value]
    assert not watched_elsewhere


def test_watched_plates_are_normalised_like_plate_reads() -> None:
    first = generator(watched_plates=["蒙k 8a-888"], inject_every=1).next_message()
    assert valid(first).plate == "蒙K8A888"


@pytest.mark.parametrize("plate", ["", "蒙K", "蒙K8A888!!", "X" * 11])
def test_invalid_watched_plate_is_refused(plate: str) -> None:
    with pytest.raises(ValueError, match="invalid plate"):
        generator(watched_plates=[plate], inject_every=1)


def test_no_injection_without_watched_plates() -> None:
    assert all(m.kind is MessageKind.PLATE_READ for m in generator(inject_every=3).take(30))


def test_malformed_share_is_roughly_respected_and_covers_every_kind() -> None:
    messages = generator(malformed_share=0.3).take(4000)
    malformed = [m for m in messages if m.kind is MessageKind.MALFORMED]
    assert 0.25 < len(malformed) / len(messages) < 0.35
    assert {m.malformed_kind for m in malformed} == set(MalformedKind)
    assert all(m.key.decode() in {d.device_id for d in DEVICES} for m in malformed)


def malformed_messages(count: int = 3000) -> list[SimulatedMessage]:
    return [m for m in generator(malformed_share=0.5).take(count) if m.kind is MessageKind.MALFORMED]


def test_every_malformed_message_fails_validation_as_json() -> None:
    for message in malformed_messages():
        with pytest.raises(ValidationError):
            PlateRead.model_validate_json(message.value)


def test_every_malformed_message_fails_validation_after_a_json_parse() -> None:
    # The worker parses with orjson first, then validates the Python object (lax mode there too).
    for message in malformed_messages():
        try:
            document = orjson.loads(message.value)
        except orjson.JSONDecodeError:
            assert message.malformed_kind in {MalformedKind.NOT_JSON, MalformedKind.TRUNCATED_JSON}
            continue
        assert message.malformed_kind not in {MalformedKind.NOT_JSON, MalformedKind.TRUNCATED_JSON}
        with pytest.raises(ValidationError):
            PlateRead.model_validate(document)


def test_every_malformed_message_is_rejected_by_the_validate_stage() -> None:
    from pipeline.errors import InvalidEvent
    from pipeline.stages.validate import validate_plate_read

    for message in malformed_messages(1000):
        with pytest.raises(InvalidEvent):
            validate_plate_read(message.value)


def test_unknown_device_share_gives_device_ids_not_in_the_registry() -> None:
    ids = {d.device_id for d in DEVICES}
    messages = generator(unknown_device_share=0.2).take(3000)
    unknown = [m for m in messages if m.kind is MessageKind.UNKNOWN_DEVICE]
    assert 0.15 < len(unknown) / len(messages) < 0.25
    for message in unknown:
        read = valid(message)  # still a valid read: only the registry does not know the device
        assert read.device_id not in ids
    known = [valid(m) for m in messages if m.kind is MessageKind.PLATE_READ]
    assert all(r.device_id in ids for r in known)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"malformed_share": 1.0}, "malformed_share"),
        ({"malformed_share": -0.1}, "malformed_share"),
        ({"unknown_device_share": 1.5}, "unknown_device_share"),
        ({"inject_every": -1}, "inject_every"),
        ({"max_delay_s": -1.0}, "max_delay_s"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generator(**options)


def test_a_registry_is_needed() -> None:
    with pytest.raises(ValueError, match="device"):
        PlateReadGenerator([], 7)


def test_iterating_is_endless_and_counts() -> None:
    gen = generator()
    stream = iter(gen)
    for _ in range(10):
        next(stream)
    assert gen.produced == 10
