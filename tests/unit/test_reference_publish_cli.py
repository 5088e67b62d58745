"""``warmcity registry`` and ``warmcity watchlist`` (Kafka replaced by the fake producer)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pipeline.city import REFERENCE_KEYS, build_city
from pipeline.cli.reference_cmd import registry, watchlist
from pipeline.contracts.reference import DeviceFamily, PlateWatchEntry
from tests.unit.test_simulate_publisher import OPTIONS, FakeProducer, fake_producers

__all__ = ["fake_producers"]

ENV = {"WARMCITY_KAFKA_TOPIC_PREFIX": "t", "WARMCITY_KAFKA_BOOTSTRAP_SERVERS": "broker:9092"}
REFERENCE_TOPICS = {f"t.ref.{name}" for name in (*REFERENCE_KEYS, "watchlist.plates")}


@pytest.fixture(autouse=True)
def _topics_exist() -> None:
    OPTIONS["topics"] = REFERENCE_TOPICS


def test_registry_show_prints_every_device_without_kafka(fake_producers: list[FakeProducer]) -> None:
    result = CliRunner().invoke(registry, ["show", "--profile", "small"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:6] == ["DEVICE", "FAMILY", "SUBTYPE", "RING", "SITE", "DISTRICT"]
    assert lines[1].startswith("KK-DS-0001")
    assert lines[-1] == f"{len(build_city('small', 7).devices)} devices"
    assert not fake_producers


@pytest.mark.parametrize("family", list(DeviceFamily))
def test_registry_show_family_prints_only_that_family(family: DeviceFamily) -> None:
    result = CliRunner().invoke(registry, ["show", "--family", family.value])
    assert result.exit_code == 0, result.stderr
    rows = result.stdout.splitlines()[1:-1]
    assert rows and {row.split()[1] for row in rows} == {family.value}
    assert result.stdout.splitlines()[-1] == f"{len(build_city('small', 7).devices_of(family))} devices"


def test_registry_show_refuses_an_unknown_family() -> None:
    result = CliRunner().invoke(registry, ["show", "--family", "drone"])
    assert result.exit_code == 2
    assert "drone" in result.stderr


def test_registry_summary_counts_families_sites_and_districts() -> None:
    result = CliRunner().invoke(registry, ["summary", "--profile", "small"])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("city profile 'small', seed 7: 9 districts, 12 patrol areas, 60 grid cells")
    assert "vehicle_checkpoint  electronic" in out
    total = next(line for line in out.splitlines() if line.startswith("total") and "," not in line)
    assert total.split()[-1] == str(len(build_city("small", 7).devices))
    assert "Kangbashi" in out and "crowd zones 2 (capacity 30,000)" in out


def test_registry_publish_prints_the_count_of_every_topic(fake_producers: list[FakeProducer]) -> None:
    result = CliRunner(env=ENV).invoke(registry, ["publish", "--profile", "small", "--seed", "7"])
    assert result.exit_code == 0, result.stderr
    city = build_city("small", 7)
    for name, count in (("devices", len(city.devices)), ("sites", len(city.sites)), ("permits", 3)):
        assert f"{count} {name}" in " ".join(result.stdout.split()), name
    total = len(fake_producers[0].produced)
    assert f"published {total} records" in result.stdout
    assert "\r" not in result.stdout  # the progress line is for terminals only
    assert {m.topic() for m in fake_producers[0].produced} == {f"t.ref.{name}" for name in REFERENCE_KEYS}


def test_registry_publish_fails_clearly_without_kafka(fake_producers: list[FakeProducer]) -> None:
    OPTIONS["unreachable"] = True
    result = CliRunner(env=ENV).invoke(registry, ["publish"])
    assert result.exit_code == 1
    assert "cannot reach Kafka at broker:9092" in result.stderr


def test_watchlist_add_publishes_the_entry(fake_producers: list[FakeProducer]) -> None:
    args = ["add", "蒙k 8a888", "--category", "wanted", "--reason", "robbery", "--priority", "1"]
    result = CliRunner(env=ENV).invoke(watchlist, [*args, "--expires", "2030-01-01T00:00:00+08:00"])
    assert result.exit_code == 0, result.stderr
    (message,) = fake_producers[0].produced
    assert message.topic() == "t.ref.watchlist.plates"
    assert message.key() == "蒙K8A888".encode()
    entry = PlateWatchEntry.model_validate_json(message.value() or b"")
    assert (entry.plate, entry.category, entry.priority) == ("蒙K8A888", "wanted", 1)
    assert entry.expires_at is not None and entry.expires_at.utcoffset() is not None


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (["PLATE!!"], "plate:"),
        (["蒙K8A888", "--priority", "9"], "priority:"),
        (["蒙K8A888", "--expires", "2030-01-01T00:00:00"], "expires_at:"),
        (["蒙K8A888", "--expires", "soon"], "expires_at:"),
        (["蒙K8A888", "--reason", "x" * 501], "reason:"),
    ],
)
def test_watchlist_add_names_the_bad_field(
    fake_producers: list[FakeProducer], extra: list[str], field: str
) -> None:
    args = ["add", "--category", "wanted", "--reason", "r", *extra]
    result = CliRunner(env=ENV).invoke(watchlist, args)
    assert result.exit_code == 1
    assert field in result.stderr
    assert not fake_producers


def test_watchlist_remove_publishes_a_tombstone(fake_producers: list[FakeProducer]) -> None:
    result = CliRunner(env=ENV).invoke(watchlist, ["remove", "蒙K8A888"])
    assert result.exit_code == 0, result.stderr
    (message,) = fake_producers[0].produced
    assert (message.key(), message.value()) == ("蒙K8A888".encode(), None)


def test_watchlist_remove_refuses_a_bad_plate(fake_producers: list[FakeProducer]) -> None:
    result = CliRunner(env=ENV).invoke(watchlist, ["remove", "??"])
    assert result.exit_code == 1
    assert "plate:" in result.stderr
    assert not fake_producers
