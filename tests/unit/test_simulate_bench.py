"""``warmcity bench simulate`` and ``measure_generation``: generation throughput, overall and per family."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
from click.testing import CliRunner

from pipeline.city import build_city
from pipeline.cli.bench_cmd import bench
from pipeline.contracts.reference import DeviceFamily
from pipeline.simulate import CitySimulator, SimulationWorld, measure_generation


def test_measure_generation_counts_per_family() -> None:
    world = SimulationWorld.from_city(build_city("small", 7))
    simulator = CitySimulator(world, 7, 20.0, start=datetime(2026, 12, 1, 2, tzinfo=UTC), malformed_share=0.1)
    result = measure_generation(simulator, 0.3)
    assert result.messages > 1000  # thousands per second even on a slow machine
    assert sum(t.sent for t in result.families.values()) == result.messages
    assert 0.2 < result.elapsed_s < 1.0
    assert result.family_rate_per_s(DeviceFamily.VEHICLE_CHECKPOINT) > result.family_rate_per_s(
        DeviceFamily.SCHOOL
    )
    document = result.as_dict()
    assert document["events_per_s"] > 0 and document["machine"]["cpus"]
    assert set(document["families"]) <= {f.value for f in DeviceFamily}


def test_a_finite_source_ends_the_measurement() -> None:
    world = SimulationWorld.from_city(build_city("small", 7))
    messages = CitySimulator(world, 7, 100.0).take(100)
    assert measure_generation(messages, 5.0).messages == 100


def test_bench_simulate_prints_and_writes_json(tmp_path: Path) -> None:
    output = tmp_path / "bench" / "simulate.json"
    result = CliRunner().invoke(
        bench, ["simulate", "--profile", "small", "--seconds", "0.3", "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert "events/s from one process (small:" in result.stdout
    assert "vehicle_checkpoint" in result.stdout
    document = orjson.loads(output.read_bytes())
    assert document["benchmark"] == "simulate" and document["profile"] == "small"
    assert document["events_per_s"] > 0
    assert document["devices_by_family"]["camera"] == 20


def test_bench_help_names_the_options() -> None:
    result = CliRunner().invoke(bench, ["simulate", "--help"])
    assert result.exit_code == 0
    for option in ("--profile", "--seconds", "--seed", "--output"):
        assert option in result.stdout
