"""The run's PNG: written from the JSON document alone, with or without (d) and (e)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.bench.plot import plot_path, write_plot

PNG = b"\x89PNG\r\n\x1a\n"


def _document() -> dict[str, Any]:
    return {
        "run": "test",
        "machine": {"load_average": [1.0, 1.0, 1.0]},
        "phases": {
            "a": {"label": "(a)", "events_per_s": 120_000.0, "complete": True},
            "a2": {"label": "(a')", "events_per_s": 6_000.0, "complete": True},
            "b": {"label": "(b)", "events_per_s": 1_000.0, "complete": True},
            "c": {"label": "(c)", "events_per_s": 900.0, "complete": False},
            "d": {
                "label": "(d)", "events_per_s": 4_900.0, "complete": False,
                "measures": {
                    "offered_per_s": 5_000.0,
                    "send_s": 2.0, "send_began_s": 1000.0,
                    "latency": {"latencies_ms": [120.0, 180.0, 240.0, 900.0],
                                "over_time": [[1000.5, 120.0], [1001.0, 180.0], [1002.0, 900.0]],
                                "read": {"p50_ms": 210.0, "p95_ms": 800.0, "p99_ms": 880.0}},
                },
            },
            "e": {
                "label": "(e)", "events_per_s": 1_200.0, "complete": True,
                "measures": {"watchlist_entries": 1_000_000, "events": 1_000,
                             "timeline": [[0.0, 400.0, 410.0], [1.0, 450.0, 460.0]]},
            },
        },
    }  # fmt: skip


def test_the_plot_is_a_png_next_to_the_json(tmp_path: Path) -> None:
    path = plot_path(tmp_path / "bench" / "pipeline.json")
    assert path == tmp_path / "bench" / "pipeline.png"
    assert write_plot(_document(), path) == path
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > 10_000


def test_a_run_without_d_and_e_still_has_a_plot(tmp_path: Path) -> None:
    document = _document()
    del document["phases"]["d"], document["phases"]["e"]
    path = write_plot(document, tmp_path / "only-throughput.png")
    assert path.read_bytes().startswith(PNG)
    empty = write_plot({"run": "x", "phases": {}}, tmp_path / "empty.png")
    assert empty.read_bytes().startswith(PNG)
