"""``warmcity simulate``: options, topics per family, summary, ground truth and exit codes (fake producer)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from pipeline.cli.simulate_cmd import simulate
from pipeline.contracts.reference import DeviceFamily
from tests.unit.test_simulate_publisher import OPTIONS, FakeProducer, fake_producers

__all__ = ["fake_producers"]

ENV = {"WARMCITY_KAFKA_TOPIC_PREFIX": "test", "WARMCITY_KAFKA_BOOTSTRAP_SERVERS": "broker:9092"}
KEY = {"WARMCITY_PRIVACY_HMAC_KEY": "a-test-key-of-32-bytes-for-hmac!"}
RAW = {f"test.raw.{family.value}" for family in DeviceFamily}
REFERENCE = {f"test.ref.{name}" for name in ("watchlist.plates", "watchlist.persons", "depots", "permits")}


@pytest.fixture(autouse=True)
def every_topic_exists(fake_producers: list[FakeProducer]) -> None:
    OPTIONS["topics"] = RAW | REFERENCE


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner(env={**ENV, **(env or {})}).invoke(simulate, list(args))
    return result.exit_code, result.stdout, result.stderr


def sent(producers: list[FakeProducer]) -> list[tuple[str, bytes]]:
    raw = [p for p in producers if p.config["client.id"] == "warmcity-simulator"]
    return [(m.topic(), m.value() or b"") for p in raw for m in p.produced]


def test_sends_every_family_to_its_topic_and_summarises(fake_producers: list[FakeProducer]) -> None:
    code, out, err = run("--count", "3000", "--rate", "100000")
    assert code == 0, err
    assert "test.raw.<family> (7 topics) at broker:9092" in out
    assert "these devices' own pace at this hour" in out
    assert "sent 3,000 events" in out
    assert "delivered 3,000, failed 0" in out
    topics = Counter(topic for topic, _ in sent(fake_producers))
    assert topics.most_common(1)[0][0] == "test.raw.vehicle_checkpoint"
    for family in ("vehicle_checkpoint", "camera", "face_recognition", "id_gate", "community"):
        assert f"test.raw.{family}" in topics
        assert f"  {family}" in out  # a row of the per-family table
    assert "ground truth" not in out  # nothing was injected: no file


def test_watched_plates_are_injected_and_written_as_ground_truth(
    fake_producers: list[FakeProducer], tmp_path: Path
) -> None:
    path = tmp_path / "truth.jsonl"
    code, out, err = run(
        "--count", "120", "--rate", "100000", "--watch-plate", "蒙K8A888", "--inject-every", "40",
        "--ground-truth", str(path),
    )  # fmt: skip
    assert code == 0, err
    assert "injected 3" in out
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert [line["subject"] for line in lines] == ["蒙K8A888"] * 3
    assert {line["rule"] for line in lines} == {"watchlist.plate"}


def test_family_option_limits_the_topics(fake_producers: list[FakeProducer]) -> None:
    code, out, err = run("--count", "200", "--rate", "100000", "--family", "camera", "--family", "school")
    assert code == 0, err
    assert "test.raw.camera, test.raw.school" in out
    assert {topic for topic, _ in sent(fake_producers)} <= {"test.raw.camera", "test.raw.school"}


def test_shares_reach_the_stream(fake_producers: list[FakeProducer]) -> None:
    code, out, err = run(
        "--count", "2000", "--rate", "1000", "--malformed-share", "0.1", "--duplicate-share", "0.05",
        "--late-share", "0.1",
    )  # fmt: skip
    assert code == 0, err
    (head,) = [line for line in out.splitlines() if line.startswith("sent ")]
    malformed = int(head.split("malformed ")[1].split(",")[0])
    duplicates = int(head.split("duplicates ")[1].split(",")[0])
    assert 120 < malformed < 280
    assert 3 < duplicates < 60  # retries come 0.5-5 s later: most of them fall after this short run


def test_scenarios_publish_their_reference_data_and_write_ground_truth(
    fake_producers: list[FakeProducer], tmp_path: Path
) -> None:
    path = tmp_path / "truth.jsonl"
    code, out, err = run(
        "--duration", "1.5", "--rate", "200", "--scenario", "wanted-person-station", "--scenario",
        "camera-tamper", "--ground-truth", str(path), env=KEY,
    )  # fmt: skip
    assert code == 0, err
    assert "scenario reference data: 1 to watchlist.persons" in out
    references = [
        m for p in fake_producers if p.config["client.id"] == "warmcity-reference" for m in p.produced
    ]
    assert [m.topic() for m in references] == ["test.ref.watchlist.persons"]
    assert "warning: the run lasts 2 s but its scenarios need" in err
    assert "scenarios: 0 injected" in out and "not complete when the run ended" in out
    assert path.read_bytes() == b""  # nothing was complete after 1.5 s


def test_person_scenarios_need_the_hmac_key(fake_producers: list[FakeProducer]) -> None:
    code, _, err = run("--count", "10", "--scenario", "id-face-mismatch")
    assert code == 2
    assert "WARMCITY_PRIVACY_HMAC_KEY" in err
    assert not sent(fake_producers)


def test_a_scenario_needs_its_families(fake_producers: list[FakeProducer]) -> None:
    code, _, err = run("--count", "10", "--family", "camera", "--scenario", "cloned-plate")
    assert code == 2
    assert "cloned-plate needs --family vehicle_checkpoint" in err


def test_progress_goes_to_stderr_with_rates_per_family(fake_producers: list[FakeProducer]) -> None:
    code, out, err = run("--duration", "1.3", "--rate", "500")
    assert code == 0, err
    assert "events/s  [plates" in err
    assert "elapsed" in err and "elapsed" not in out


def test_failed_delivery_exits_non_zero(fake_producers: list[FakeProducer]) -> None:
    OPTIONS["fail_every"] = 5
    code, _, err = run("--count", "10", "--rate", "100000")
    assert code == 1
    assert "2 of 10 deliveries failed" in err


def test_missing_topic_exits_non_zero_with_advice(fake_producers: list[FakeProducer]) -> None:
    OPTIONS["topics"] = RAW - {"test.raw.explosives"}
    code, _, err = run("--count", "10")
    assert code == 1
    assert "test.raw.explosives" in err and "warmcity topics create" in err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--rate", "0"], "--rate"),
        (["--rate", "-3"], "--rate"),
        (["--malformed-share", "1"], "--malformed-share"),
        (["--malformed-share", "-0.1"], "--malformed-share"),
        (["--duplicate-share", "1"], "--duplicate-share"),
        (["--late-share", "2"], "--late-share"),
        (["--unknown-device-share", "1.2"], "--unknown-device-share"),
        (["--count", "0"], "--count"),
        (["--duration", "0"], "--duration"),
        (["--inject-every", "-1"], "--inject-every"),
        (["--watch-plate", "not a plate!"], "--watch-plate"),
        (["--profile", "metropolis"], "--profile"),
        (["--family", "drones"], "--family"),
        (["--scenario", "alien-landing"], "--scenario"),
    ],
)
def test_bad_options_are_named(fake_producers: list[FakeProducer], args: list[str], named: str) -> None:
    code, _, err = run(*args)
    assert code == 2
    assert named in err
    assert not fake_producers  # refused before touching Kafka


def test_help_explains_the_command() -> None:
    result = CliRunner().invoke(simulate, ["--help"])
    assert result.exit_code == 0
    for option in (
        "--rate", "--duration", "--count", "--seed", "--profile", "--family", "--scenario", "--ground-truth",
        "--malformed-share", "--duplicate-share", "--late-share", "--watch-plate", "--inject-every",
    ):  # fmt: skip
        assert option in result.stdout
