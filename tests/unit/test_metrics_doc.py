"""docs/metrics.md against the catalogue, and ``warmcity metrics list`` in each of its formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from prometheus_client.metrics import MetricWrapperBase

import pipeline.metrics
from pipeline.cli.main import cli
from pipeline.metrics_doc import FORMATS, catalogue, render

ROOT = Path(__file__).resolve().parents[2]


def test_the_doc_holds_the_commands_table() -> None:
    doc = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    output = CliRunner().invoke(cli, ["metrics", "list", "--format", "markdown"]).output
    assert output == render("markdown")
    assert output in doc, (
        "docs/metrics.md is stale: regenerate its catalogue with `warmcity metrics list --format markdown`"
    )


def test_every_declared_metric_is_listed_with_its_labels() -> None:
    declared = [v for v in vars(pipeline.metrics).values() if isinstance(v, MetricWrapperBase)]
    listed = {m.name: m for m in catalogue()}
    assert len(listed) == len(declared)
    for metric in declared:
        (family,) = metric.describe()
        name = family.name + "_total" if family.type == "counter" else family.name
        assert listed[name].labels == tuple(metric._labelnames) and listed[name].help == family.documentation


def test_every_metric_is_explained_in_the_hand_written_part() -> None:
    doc = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    explained = doc.split("## Catalogue")[0]
    missing = [m.name for m in catalogue() if f"`{m.name}`" not in explained]
    assert not missing, f"docs/metrics.md does not say what these tell an operator: {missing}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_names_every_metric(fmt: str) -> None:
    result = CliRunner().invoke(cli, ["metrics", "list", "--format", fmt])
    assert result.exit_code == 0, result.output
    for metric in catalogue():
        assert metric.name in result.output
    if fmt == "json":
        assert [m["name"] for m in json.loads(result.output)] == [m.name for m in catalogue()]


def test_histograms_list_their_buckets() -> None:
    lag = next(m for m in catalogue() if m.name == "warmcity_event_lag_seconds")
    assert lag.kind == "histogram" and lag.buckets[0] == "0.05" and "+Inf" not in lag.buckets
