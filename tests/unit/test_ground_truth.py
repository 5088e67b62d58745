"""Ground-truth files: JSON lines with the fields detection compares against, and never a raw person id."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from pipeline.city import build_city
from pipeline.contracts.alert import Severity
from pipeline.simulate import SimulationWorld, default_ground_truth_path, write_ground_truth
from pipeline.simulate.scenarios import GroundTruth, plan_scenarios, resolve
from pipeline.simulate.scenarios.publication import RAW_ID_NUMBER
from pipeline.stages.privacy import Pseudonymiser

WORLD = SimulationWorld.from_city(build_city("small", 7))
START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
FIELDS = {
    "scenario", "rule", "subject", "subject_kind", "device_ids", "evidence_event_ids", "trigger_event_id",
    "first_event_time", "last_event_time", "severity", "site_id", "zone_id", "expected_after", "note",
}  # fmt: skip


@pytest.fixture(scope="module")
def plan_and_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[GroundTruth], Path]:
    plan = plan_scenarios(WORLD, resolve(["all"]), 7, START.timestamp(), Pseudonymiser(b"k" * 32))
    path = tmp_path_factory.mktemp("truth") / "nested" / "truth.jsonl"
    assert write_ground_truth(path, plan.ground_truth) == len(plan.ground_truth)
    return plan.ground_truth, path


def test_one_line_per_expected_alert_with_the_agreed_fields(
    plan_and_file: tuple[list[GroundTruth], Path],
) -> None:
    records, path = plan_and_file
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert len(lines) == len(records)
    for line, record in zip(lines, records, strict=True):
        assert set(line) == FIELDS
        assert line["rule"] == record.rule and line["subject"] == record.subject
        assert line["severity"] in {s.value for s in Severity}
        assert line["first_event_time"].endswith("Z") and line["last_event_time"] >= line["first_event_time"]
        assert line["evidence_event_ids"] and line["trigger_event_id"] in line["evidence_event_ids"]


def test_no_raw_id_number_or_name_anywhere_in_the_file(plan_and_file: tuple[list[GroundTruth], Path]) -> None:
    records, path = plan_and_file
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"(?<![0-9A-Za-z])[0-9]{17}[0-9X](?![0-9A-Za-z])", text)
    assert not re.search("[\u4e00-\u9fff]{2,4}", text.replace("蒙", ""))  # no name; plates carry 蒙 only
    people = [r for r in records if r.subject_kind == "person_token"]
    assert len(people) == 7 and all(r.subject.startswith("pt_") for r in people)


def test_a_raw_id_number_is_refused(tmp_path: Path) -> None:
    record = GroundTruth(
        scenario="x", rule="watchlist.person", subject="150602198001011234", subject_kind="person_token",
        device_ids=("IDG-RS-KB-01-01",), evidence_event_ids=("e-00000001",), trigger_event_id="e-00000001",
        first_event_time=START, last_event_time=START, severity=Severity.HIGH,
    )  # fmt: skip
    with pytest.raises(ValueError, match="raw ID number"):
        write_ground_truth(tmp_path / "t.jsonl", [record])
    assert not (tmp_path / "t.jsonl").exists()


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("150602198001011234", True),
        ('"15062219900101123X"', True),
        ("pt_123456789012345678abcdef", False),  # inside a token
        ("e4d3fab2-9501-4c4c-ab88-b0261ef49716", False),
        ("1506021980010112345", False),  # 19 digits is no ID number
    ],
)
def test_the_raw_id_pattern(text: str, found: bool) -> None:
    assert bool(RAW_ID_NUMBER.search(text)) is found


def test_default_path_is_under_the_run_directory() -> None:
    path = default_ground_truth_path(datetime(2026, 12, 1, 8, 30, 5, tzinfo=UTC))
    assert path == Path(".run/ground-truth/20261201T083005Z.jsonl")
