"""Ratios between phases, with their targets, and the printed table of ``warmcity bench pipeline``."""

from __future__ import annotations

import pytest

from pipeline.bench.ratios import Ratio, ratios
from pipeline.bench.report import document, phase_rates, run_limits, run_ratios
from pipeline.bench.results import Drain, PhaseResult, Sustained
from pipeline.bench.table import render_table


def result(phase: str, rate: float, processed: int = 1000, sustained: Sustained | None = None) -> PhaseResult:
    seconds = 1000 / rate
    return PhaseResult(phase, 1000, processed, Drain(0.0, seconds, 1000, True), seconds + 5, sustained)


def test_ratios_of_the_phases_that_ran_with_their_targets() -> None:
    found = {r.name: r for r in ratios({"a": 100_000.0, "a2": 50_000.0, "b": 10_000.0, "c": 40_000.0})}
    assert set(found) == {"c/a", "c/a2", "c/b"}
    assert found["c/a"].value == pytest.approx(0.4) and found["c/a"].met is None
    assert found["c/a2"].value == pytest.approx(0.8) and found["c/a2"].target == 0.6 and found["c/a2"].met
    assert found["c/b"].value == pytest.approx(4.0) and found["c/b"].met is False


def test_no_ratio_from_a_phase_that_did_not_finish() -> None:
    found = {r.name: r for r in ratios({"a": 100_000.0, "c": None, "b": 0.0})}
    assert found["c/a"].value is None and found["c/a"].met is None
    assert found["c/b"].value is None


def test_a_missing_phase_gives_no_ratio_at_all() -> None:
    assert ratios({"c": 10.0}) == []
    assert [r.name for r in ratios({"c": 10.0, "f": 15.0})] == ["f/c"]


def test_phase_rates_leave_out_incomplete_phases() -> None:
    rates = phase_rates([result("a", 100.0), result("c", 10.0, processed=999)])
    assert rates == {"a": pytest.approx(100.0), "c": None}


def test_ratio_document() -> None:
    assert Ratio("c", "b", 6.0, 5.0).as_dict() == {"value": 6.0, "target": 5.0, "met": True}


def test_table_has_a_line_per_phase_and_the_ratios() -> None:
    results = [
        result("a", 150_000.0),
        result("a2", 100_000.0),
        result("b", 10_000.0),
        result("c", 20_000.0, sustained=Sustained(10, 60, 60, 21_000.0)),
    ]
    table = render_table(results, run_ratios(results))
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["phase", "what", "events"]
    assert lines[2].startswith("(a) ") and "150,000" in lines[2]
    assert lines[3].startswith("(a') ") and "100,000" in lines[3]
    assert "21,000" in lines[5] and "*" not in lines[5]
    assert "(c)/(a')      0.200   target >= 0.6  NOT met" in table
    assert "(c)/(b)       2.000   target >= 5    NOT met" in table
    assert "(c)/(a)       0.133" in table


def test_table_marks_incomplete_phases_and_short_windows() -> None:
    results = [result("a", 100.0), result("c", 50.0, processed=10, sustained=Sustained(10, 5, 60, 40.0))]
    table = render_table(results, run_ratios(results))
    assert "(50)" in table and "40*" in table
    assert "no ratio uses it" in table and "cut short" in table
    assert "(c)/(a)           -" in table


def test_document_shape() -> None:
    results = [result("a", 100_000.0), result("c", 20_000.0)]
    found = document(
        tag="t", created_at="2026-12-01T10:00:00+00:00", command="warmcity bench pipeline",
        options={"events": 1000}, workload={"events": 1000}, machine={"cpus": 2}, results=results,
    )  # fmt: skip
    assert found["benchmark"] == "pipeline" and found["complete"] is True
    assert list(found["phases"]) == ["a", "c"]
    assert found["phases"]["a"]["label"] == "(a)" and found["phases"]["a"]["events_per_s"] == 100_000.0
    assert found["ratios"] == {"c/a": {"value": 0.2, "target": None, "met": None}}
    assert (
        document(
            tag="t",
            created_at="",
            command="",
            options={},
            workload=None,
            machine={},
            results=[],
            error="boom",
        )["complete"]
        is False
    )


def _measured(phase: str, measures: dict[str, object]) -> PhaseResult:
    return PhaseResult(phase, 100, 100, Drain(0.0, 1.0, 100, True), 2.0, measures=measures)


def _latency(p99: float | None) -> dict[str, object]:
    read = {"count": 300, "p50_ms": 120.0, "p95_ms": 200.0, "p99_ms": p99, "max_ms": 400.0, "mean_ms": 1.0}
    return {
        "offered_per_s": 5_000.0, "achieved_per_s": 4_700.0, "kept_offered_rate": False, "p99_ms": p99,
        "latency": {"read": read, "kafka_timestamp": read, "injected_after_warmup": 310, "missing": 10},
    }  # fmt: skip


def test_limits_on_latency_and_memory() -> None:
    found = {limit.name: limit for limit in run_limits([_measured("d", _latency(240.0))])}
    assert set(found) == {"d.p99_ms"} and found["d.p99_ms"].met is True
    e = _measured("e", {"peak_rss_mb": 612.5, "watchlist_entries": 1_000_000, "events": 100})
    found = {limit.name: limit for limit in run_limits([_measured("d", _latency(None)), e])}
    assert found["d.p99_ms"].met is None and found["e.peak_rss_mb"].met is False
    assert found["e.peak_rss_mb"].as_dict() == {"value": 612.5, "limit": 600.0, "unit": "MB", "met": False}
    assert run_limits([result("c", 10.0)]) == []


def test_table_and_document_show_d_and_e_with_their_targets() -> None:
    e = _measured("e", {"peak_rss_mb": 512.0, "watchlist_entries": 1_000_000, "events": 100,
                        "after_load": {"rss_mb": 400.0}, "at_end": {"rss_mb": 500.0}, "distinct_plates": 80,
                        "growth_bytes_per_distinct_plate": 1_310_720})  # fmt: skip
    results = [_measured("d", _latency(300.0)), e]
    table = render_table(results, run_ratios(results), run_limits(results))
    assert "offered 5,000/s, achieved 4,700/s (NOT kept)" in table
    assert "p50 120  p95 200  p99 300" in table and "(10 missing)" in table
    assert "peak RSS (VmHWM) 512 MB" in table and "after loading 400 MB" in table
    assert "(d) p99_ms" in table and "300.0 ms   target <= 250 ms  NOT met" in table
    assert "(e) peak_rss_mb" in table and "target <= 600 MB  met" in table
    found = document(tag="t", created_at="now", command="", options={}, workload=None, machine={},
                     results=results)  # fmt: skip
    assert found["targets"]["d.p99_ms"]["met"] is False and found["targets"]["e.peak_rss_mb"]["met"] is True
    assert found["phases"]["d"]["measures"]["latency"]["missing"] == 10
    assert "measures" not in found["phases"]["e"] or found["phases"]["e"]["measures"]["peak_rss_mb"] == 512.0
