"""The arithmetic of ``warmcity bench pipeline``: drain and sustained rates read off samples."""

from __future__ import annotations

import pytest

from pipeline.bench.progress import Progress
from pipeline.bench.results import Drain, PhaseResult, Sample, count_at, drain, sustained, thin


def samples(*points: tuple[float, int]) -> list[Sample]:
    return [Sample(t, n) for t, n in points]


def test_the_drain_runs_from_the_last_empty_sample_to_the_first_full_one() -> None:
    found = drain(samples((0, 0), (5, 0), (6, 100), (10, 500), (11, 1000), (12, 1000)), 1000)
    assert (found.start_s, found.end_s, found.count, found.complete) == (5, 11, 1000, True)
    assert found.elapsed_s == 6
    assert found.events_per_s == pytest.approx(1000 / 6)


def test_a_drain_that_never_finishes_ends_at_the_last_sample_and_says_so() -> None:
    found = drain(samples((0, 0), (2, 10), (4, 30)), 100)
    assert (found.start_s, found.end_s, found.count, found.complete) == (0, 4, 30, False)


@pytest.mark.parametrize(
    ("points", "total", "rate"),
    [
        ([], 10, 0.0),  # nothing sampled
        ([(0.0, 0)], 10, 0.0),  # nothing happened
        ([(0.0, 0), (0.0, 10)], 10, 0.0),  # no time passed: no rate rather than infinity
    ],
)
def test_degenerate_drains_have_no_rate(points: list[tuple[float, int]], total: int, rate: float) -> None:
    assert drain(samples(*points), total).events_per_s == rate


def test_count_at_interpolates_between_samples_and_clamps_at_the_ends() -> None:
    series = samples((0, 0), (10, 100), (20, 300))
    assert count_at(series, -1) == 0
    assert count_at(series, 5) == 50
    assert count_at(series, 15) == 200
    assert count_at(series, 99) == 300
    assert count_at([], 3) == 0


def test_sustained_rate_over_the_window_after_the_warm_up() -> None:
    # Steady 100 events/s from t=2 (the last empty sample) to t=102.
    series = [Sample(0, 0), Sample(2, 0), *(Sample(2 + s, 100 * s) for s in range(1, 101))]
    found = sustained(series, 10_000, warmup_s=10, window_s=60)
    assert found.window_s == pytest.approx(60)
    assert found.events_per_s == pytest.approx(100)
    assert found.complete
    assert found.as_dict()["complete"] is True


def test_a_drain_shorter_than_warm_up_plus_window_cuts_the_window_short() -> None:
    series = samples((0, 0), (1, 0), (11, 1000), (21, 2000))
    found = sustained(series, 2000, warmup_s=5, window_s=60)
    assert found.window_s == pytest.approx(15)
    assert found.events_per_s == pytest.approx(100)
    assert not found.complete


def test_a_drain_shorter_than_the_warm_up_has_no_window() -> None:
    found = sustained(samples((0, 0), (1, 10)), 10, warmup_s=5, window_s=60)
    assert (found.window_s, found.events_per_s, found.complete) == (0.0, 0.0, False)


def test_thin_keeps_one_sample_per_interval_and_the_last() -> None:
    series = [Sample(t / 10, t) for t in range(0, 26)]
    kept = thin(series, 1.0)
    assert [s.t_s for s in kept] == [0.0, 1.0, 2.0, 2.5]


def test_a_phase_is_complete_when_it_processed_every_event_without_error() -> None:
    whole = Drain(0, 10, 100, complete=True)
    assert PhaseResult("a", 100, 100, whole, 12).complete
    assert not PhaseResult("a", 100, 99, whole, 12).complete
    assert not PhaseResult("a", 100, 100, whole, 12, error="stalled").complete


def test_phase_document() -> None:
    series = samples((0, 0), (1, 0), (3, 100))
    result = PhaseResult(
        "c", 100, 100, drain(series, 100), 20.0, sustained=sustained(series, 100, 0, 1),
        outputs={"rows.plate_reads": 90}, peak_rss_mb=512.5, samples=tuple(series),
    )  # fmt: skip
    document = result.as_dict()
    assert document["events_per_s"] == 50.0 and document["drain_s"] == 2.0 and document["complete"]
    assert document["events_per_s_from_start"] == pytest.approx(33.3)
    assert document["samples"] == [[0.0, 0], [1.0, 0], [3.0, 100]]
    assert document["peak_rss_mb"] == 512.5
    assert document["sustained"]["window_s"] == 1.0
    assert document["outputs"] == {"rows.plate_reads": 90} and document["error"] is None


def test_progress_prints_at_most_once_per_interval() -> None:
    lines: list[str] = []
    progress = Progress("c", 1000, lines.append, every_s=10)
    for t in range(0, 31):
        progress.saw(Sample(float(t), t * 10))
    assert len(lines) == 3
    assert lines[0] == "  [c] 100 of 1,000 (10%) after 10 s, 10/s lately"
