"""Names of a benchmark run (phases never share topics, groups or databases), ``--phases``, the watch list."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.bench.layout import RunLayout, copied_topics, output_specs, source_specs
from pipeline.bench.phases import DEFAULT_PHASES, PHASES, PhaseError, parse_phases
from pipeline.bench.watchlist import watch_entries, watch_plates
from pipeline.contracts import PlateWatchEntry
from pipeline.contracts.reference import DeviceFamily
from pipeline.topics import REFERENCE_TOPICS


def test_every_name_of_a_run_starts_with_its_tag() -> None:
    layout = RunLayout.new(datetime(2026, 12, 1, 10, 30, 5, tzinfo=UTC))
    assert layout.tag.startswith("20261201-103005-")
    assert layout.source_prefix == f"bench-{layout.tag}"
    names = {layout.prefix(p) for p in PHASES} | {layout.group(p) for p in PHASES}
    assert all(name.startswith(f"{layout.source_prefix}-") for name in names)
    databases = {layout.database(p) for p in PHASES}
    assert len(databases) == len(PHASES)
    assert all(d.startswith(layout.database_prefix) and "-" not in d for d in databases)


def test_two_runs_never_share_names() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert len({RunLayout.new(now).tag for _ in range(20)}) > 1


def test_a_tag_must_be_a_plain_name() -> None:
    with pytest.raises(ValueError, match="run tag"):
        RunLayout("Bad Tag")


def test_source_outputs_and_copies() -> None:
    layout = RunLayout("t1", partitions=3)
    source = {spec.name: spec for spec in source_specs(layout.source)}
    assert len(source) == len(DeviceFamily) + len(REFERENCE_TOPICS)
    assert source["bench-t1.raw.camera"].partitions == 3
    assert source["bench-t1.ref.devices"].cleanup == "compact"
    outputs = {spec.name for spec in output_specs(layout.topics("a2"))}
    assert "bench-t1-a2.enriched.vehicle_checkpoint" in outputs
    assert {"bench-t1-a2.alerts", "bench-t1-a2.deadletter"} <= outputs
    pairs = dict(copied_topics(layout.source, layout.topics("c")))
    assert pairs["bench-t1.raw.school"] == "bench-t1-c.raw.school"
    assert pairs["bench-t1.ref.watchlist.plates"] == "bench-t1-c.ref.watchlist.plates"


@pytest.mark.parametrize(
    ("text", "phases"),
    [
        ("a,a2,b,c", ("a", "a2", "b", "c")),
        ("c, A ,a2", ("a", "a2", "c")),
        ("f,c,c", ("c", "f")),
    ],
)
def test_parse_phases(text: str, phases: tuple[str, ...]) -> None:
    assert parse_phases(text) == phases


@pytest.mark.parametrize("text", ["", " , ", "a,g", "z"])
def test_parse_phases_refuses_unknown_or_none(text: str) -> None:
    with pytest.raises(PhaseError):
        parse_phases(text)


def test_default_phases_are_the_issues_four() -> None:
    assert DEFAULT_PHASES == ("a", "a2", "b", "c")
    assert [PHASES[p].label for p in DEFAULT_PHASES] == ["(a)", "(a')", "(b)", "(c)"]


@pytest.mark.parametrize("size", [0, 1, 1000, 1_000_001])
def test_watch_plates_are_distinct_and_valid(size: int) -> None:
    plates = watch_plates(size)
    assert len(plates) == len(set(plates)) == size
    for plate in plates[:3] + plates[-3:]:
        assert PlateWatchEntry(plate=plate, category="wanted", reason="x").plate == plate


def test_watch_entries_are_keyed_by_plate() -> None:
    key, value = next(watch_entries(["WL000007"]))
    assert key == b"WL000007"
    assert PlateWatchEntry.model_validate_json(value).plate == "WL000007"
