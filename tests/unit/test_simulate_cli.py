"""``warmcity simulate``: option checks, summary and exit codes (Kafka replaced by the fake producer)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pipeline.cli.simulate_cmd import simulate
from tests.unit.test_simulate_publisher import OPTIONS, FakeProducer, fake_producers

__all__ = ["fake_producers"]

ENV = {"WARMCITY_KAFKA_TOPIC_PREFIX": "test", "WARMCITY_KAFKA_BOOTSTRAP_SERVERS": "broker:9092"}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner(env=ENV).invoke(simulate, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_sends_and_summarises(fake_producers: list[FakeProducer]) -> None:
    code, out, err = run(
        "--count", "120", "--rate", "100000", "--watch-plate", "蒙K8A888", "--inject-every", "40"
    )
    assert code == 0, err
    assert "test.raw.vehicle_checkpoint at broker:9092" in out
    assert "sent 120 events" in out
    assert "delivered 120, failed 0" in out
    assert "injected 3" in out
    assert len(fake_producers[0].produced) == 120


def test_progress_goes_to_stderr(fake_producers: list[FakeProducer]) -> None:
    code, out, err = run("--duration", "1.3", "--rate", "50")
    assert code == 0, err
    assert "events/s  elapsed" in err
    assert "events/s  elapsed" not in out


def test_failed_delivery_exits_non_zero(fake_producers: list[FakeProducer]) -> None:
    OPTIONS["fail_every"] = 5
    code, _, err = run("--count", "10", "--rate", "100000")
    assert code == 1
    assert "2 of 10 deliveries failed" in err


def test_missing_topic_exits_non_zero_with_advice(fake_producers: list[FakeProducer]) -> None:
    OPTIONS["topics"] = set()
    code, _, err = run("--count", "10")
    assert code == 1
    assert "warmcity topics create" in err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--rate", "0"], "--rate"),
        (["--rate", "-3"], "--rate"),
        (["--malformed-share", "1"], "--malformed-share"),
        (["--malformed-share", "-0.1"], "--malformed-share"),
        (["--unknown-device-share", "1.2"], "--unknown-device-share"),
        (["--count", "0"], "--count"),
        (["--duration", "0"], "--duration"),
        (["--inject-every", "-1"], "--inject-every"),
        (["--watch-plate", "not a plate!"], "--watch-plate"),
        (["--profile", "metropolis"], "--profile"),
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
    for option in ("--rate", "--duration", "--count", "--seed", "--watch-plate", "--inject-every"):
        assert option in result.stdout
