"""Reference publishing: keys, values and tombstones as the workers' reference feeds expect them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import BaseModel

from pipeline.city import REFERENCE_KEYS, build_city, reference_records
from pipeline.contracts.envelope import clean_plate
from pipeline.contracts.reference import DeviceRecord, PlateWatchEntry
from pipeline.contracts.sites import CrowdZone, DepotRecord, GridCellRecord, Site, TransportPermit
from pipeline.reference_publish import (
    PublishError,
    normalise_plate,
    publish_city,
    publish_devices,
    publish_watch_entry,
    remove_watch_entry,
)
from pipeline.topics import Topics
from tests.unit.test_city import built
from tests.unit.test_simulate_publisher import OPTIONS, TOPIC, FakeProducer, fake_producers

__all__ = ["fake_producers"]  # the fixture, imported so that pytest finds it here

ENTRY = PlateWatchEntry(
    plate="蒙K8A888",
    category="wanted",
    reason="fled a checkpoint in Dongsheng",
    priority=1,
    expires_at=datetime(2030, 1, 1, tzinfo=UTC),
)


def test_devices_are_keyed_by_device_id(fake_producers: list[FakeProducer]) -> None:
    devices = build_city("small", 7).devices
    assert publish_devices("b:1", TOPIC, devices) == len(devices)
    (producer,) = fake_producers
    assert [m.key() for m in producer.produced] == [d.device_id.encode() for d in devices]
    records = [DeviceRecord.model_validate_json(m.value() or b"") for m in producer.produced]
    assert records == list(devices)


def test_watch_entry_is_keyed_by_plate(fake_producers: list[FakeProducer]) -> None:
    publish_watch_entry("b:1", TOPIC, ENTRY)
    (message,) = fake_producers[0].produced
    assert message.key() == "蒙K8A888".encode()
    assert PlateWatchEntry.model_validate_json(message.value() or b"") == ENTRY


@pytest.mark.parametrize("plate", ["蒙K8A888", "蒙k 8a888", "蒙K·8A-888"])
def test_remove_publishes_a_tombstone_for_the_normalised_plate(
    fake_producers: list[FakeProducer], plate: str
) -> None:
    remove_watch_entry("b:1", TOPIC, plate)
    (message,) = fake_producers[0].produced
    assert (message.key(), message.value()) == ("蒙K8A888".encode(), None)


def test_remove_refuses_an_invalid_plate(fake_producers: list[FakeProducer]) -> None:
    with pytest.raises(ValueError, match="invalid plate"):
        remove_watch_entry("b:1", TOPIC, "no!")


def test_failed_delivery_raises_with_the_reason(fake_producers: list[FakeProducer]) -> None:
    OPTIONS["fail_every"] = 1
    with pytest.raises(PublishError, match=r"1 of 1 records .* failed.*Not enough in-sync replicas"):
        publish_watch_entry("b:1", TOPIC, ENTRY)


def test_undelivered_record_raises(fake_producers: list[FakeProducer]) -> None:
    OPTIONS["stuck"] = True
    with pytest.raises(PublishError, match="not delivered within"):
        publish_devices("b:1", TOPIC, build_city("small", 7).devices[:3], timeout_s=0.1)


def test_missing_topic_raises_and_sends_nothing(fake_producers: list[FakeProducer]) -> None:
    with pytest.raises(PublishError, match=r"topic 'x\.ref\.devices' does not exist"):
        publish_devices("b:1", "x.ref.devices", build_city("small", 7).devices)
    assert not fake_producers[0].produced


def test_unreachable_broker_raises_with_its_address(fake_producers: list[FakeProducer]) -> None:
    OPTIONS["unreachable"] = True
    with pytest.raises(PublishError, match="cannot reach Kafka at b:1"):
        remove_watch_entry("b:1", TOPIC, "蒙K8A888")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("蒙K8A888", "蒙K8A888"),
        (" 蒙k 8a888 ", "蒙K8A888"),
        ("蒙K·8A888", "蒙K8A888"),
        ("蒙K-8A888", "蒙K8A888"),
    ],
)
def test_plates_are_cleaned_like_plate_reads(raw: str, clean: str) -> None:
    assert clean_plate(raw) == clean
    assert normalise_plate(raw) == clean


CITY_TOPICS = {f"t.ref.{name}" for name in REFERENCE_KEYS}
MODELS: dict[str, type[BaseModel]] = {
    "devices": DeviceRecord,
    "sites": Site,
    "crowd_zones": CrowdZone,
    "depots": DepotRecord,
    "permits": TransportPermit,
    "grid_cells": GridCellRecord,
}


def test_publish_city_sends_every_reference_record_keyed_by_its_id(
    fake_producers: list[FakeProducer],
) -> None:
    OPTIONS["topics"] = CITY_TOPICS
    city = build_city("small", 7)
    counts = publish_city("b:1", Topics("t", 3, 1), city)
    expected = reference_records(city)
    assert counts == {name: len(records) for name, records in expected.items()}
    (producer,) = fake_producers  # one producer for every topic
    for name, records in expected.items():
        sent = [m for m in producer.produced if m.topic() == f"t.ref.{name}"]
        assert [m.key() for m in sent] == [str(getattr(r, REFERENCE_KEYS[name])).encode() for r in records]
        assert [MODELS[name].model_validate_json(m.value() or b"") for m in sent] == list(records)


def test_publish_city_sends_the_grid_cells_with_their_stations(fake_producers: list[FakeProducer]) -> None:
    OPTIONS["topics"] = CITY_TOPICS
    city = build_city("small", 7)
    counts = publish_city("b:1", Topics("t", 3, 1), city)
    assert counts["grid_cells"] == len(city.grid_cells) == 60
    sent = [m for m in fake_producers[0].produced if m.topic() == "t.ref.grid_cells"]
    cells = {m.key(): GridCellRecord.model_validate_json(m.value() or b"") for m in sent}
    assert list(cells) == [c.grid_cell_id.encode() for c in city.grid_cells]
    for model_cell in city.grid_cells:
        record = cells[model_cell.grid_cell_id.encode()]
        assert (record.patrol_area, record.district, record.lat, record.lon) == (
            model_cell.patrol_area_id,
            model_cell.district,
            model_cell.lat,
            model_cell.lon,
        )
        assert record.station.startswith("ST-") and record.schema_version == 1


def test_publish_city_batches_and_compresses(fake_producers: list[FakeProducer]) -> None:
    OPTIONS["topics"] = CITY_TOPICS
    publish_city("b:1", Topics("t", 3, 1), build_city("small", 7))
    config = fake_producers[0].config
    assert config["linger.ms"] >= 20 and config["compression.type"] == "lz4"
    assert config["acks"] == "all" and config["enable.idempotence"] is True


def test_publish_city_reports_progress_per_topic(fake_producers: list[FakeProducer]) -> None:
    OPTIONS["topics"] = CITY_TOPICS
    seen: list[tuple[str, int, int]] = []
    counts = publish_city(
        "b:1", Topics("t", 3, 1), build_city("small", 7), progress=lambda *a: seen.append(a)
    )
    assert seen == [(name, count, count) for name, count in counts.items()]


def test_publish_city_checks_every_topic_before_sending(fake_producers: list[FakeProducer]) -> None:
    OPTIONS["topics"] = CITY_TOPICS - {"t.ref.permits"}
    with pytest.raises(PublishError, match=r"topic 't\.ref\.permits' does not exist"):
        publish_city("b:1", Topics("t", 3, 1), build_city("small", 7))
    assert not fake_producers[0].produced


def test_publish_city_counts_failed_deliveries(fake_producers: list[FakeProducer]) -> None:
    OPTIONS["topics"] = CITY_TOPICS
    OPTIONS["fail_every"] = 10
    city = build_city("small", 7)
    total = sum(len(records) for records in reference_records(city).values())
    with pytest.raises(PublishError, match=rf"{total // 10} of {total} reference records of the city failed"):
        publish_city("b:1", Topics("t", 3, 1), city)


def test_publish_city_profile_reports_progress_in_steps(fake_producers: list[FakeProducer]) -> None:
    OPTIONS["topics"] = CITY_TOPICS
    seen: list[tuple[str, int, int]] = []
    counts = publish_city("b:1", Topics("t", 3, 1), built("city"), progress=lambda *a: seen.append(a))
    assert counts["devices"] == len(built("city").devices) > 75_000
    devices = [sent for name, sent, _ in seen if name == "devices"]
    assert devices[:2] == [5_000, 10_000] and devices[-1] == counts["devices"]
    assert len(fake_producers[0].produced) == sum(counts.values())
