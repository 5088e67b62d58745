"""deploy/grafana: the provisioning and the dashboards. Every query (panel targets and template
variables) names only series declared in pipeline/metrics.py, the recording rules of deploy/prometheus or
Prometheus's own (up, ALERTS), with labels those series have; every query is valid PromQL (promtool
parses it); every panel uses the provisioned datasource."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.helpers import (
    DEPLOY,
    catalogue,
    grafana_to_promql,
    recording_rules,
    run_tool,
    unknown_series,
)

GRAFANA = DEPLOY / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    board: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return board


def panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for panel in board["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def queries(board: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, PromQL) of every panel target and every query variable (label_values' metric)."""
    found = [
        (f"panel {panel['title']!r} {target['refId']}", target["expr"])
        for panel in panels(board)
        for target in panel.get("targets", [])
    ]
    for variable in board["templating"]["list"]:
        query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
        match = re.fullmatch(r"label_values\((?P<metric>[^,]+),\s*(?P<label>\w+)\)", query)
        assert match, f"variable {variable['name']}: only label_values(metric, label) is used: {query}"
        found.append((f"variable {variable['name']}", f'{match["metric"]}{{{match["label"]}!=""}}'))
    return found


def datasource_uid() -> str:
    provisioning = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    (source,) = provisioning["datasources"]
    assert source["type"] == "prometheus"
    return str(source["uid"])


def test_the_three_dashboards_exist() -> None:
    titles = {load(path)["uid"]: load(path)["title"] for path in DASHBOARDS}
    assert set(titles) == {"warmcity-pipeline-health", "warmcity-alerts", "warmcity-clickhouse-ingestion"}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_structure(path: Path) -> None:
    board = load(path)
    uid = datasource_uid()
    ids = [panel["id"] for panel in panels(board)]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    targets = 0
    for panel in panels(board):
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == uid, panel["title"]
        assert panel["targets"], f"{panel['title']} has no query"
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid, panel["title"]
            targets += 1
    assert targets >= 5


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_queries_name_only_declared_metrics(path: Path) -> None:
    known, recorded = catalogue(), set(recording_rules())
    problems = {
        where: found
        for where, expr in queries(load(path))
        if (found := unknown_series(grafana_to_promql(expr), known, recorded))
    }
    assert problems == {}


def test_the_check_catches_an_undeclared_metric_and_label() -> None:
    known, recorded = catalogue(), set(recording_rules())
    assert unknown_series("sum(rate(warmcity_sink_rowz_total[5m]))", known, recorded)
    assert unknown_series('sum(rate(warmcity_sink_rows_total{tabel="alerts"}[5m]))', known, recorded)
    assert unknown_series("sum(rate(warmcity_sink_rows_total[5m]))", known, recorded) == []


def test_every_query_parses_as_promql(tmp_path: Path) -> None:
    """promtool parses each query as the expression of a recording rule."""
    rules = [
        {"record": f"check:query_{n}", "expr": grafana_to_promql(expr)}
        for n, (_, expr) in enumerate(q for path in DASHBOARDS for q in queries(load(path)))
    ]
    rule_file = tmp_path / "queries.yml"
    rule_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = run_tool("promtool", "check", "rules", str(rule_file))
    assert result.returncode == 0, result.stdout + result.stderr


def test_alerts_dashboard_filters_by_district_and_rule() -> None:
    board = load(GRAFANA / "dashboards" / "alerts.json")
    assert {v["name"] for v in board["templating"]["list"]} == {"district", "rule"}
    exprs = " ".join(expr for _, expr in queries(board))
    assert "warmcity_district_alerts_total" in exprs and "$district" in exprs and "$rule" in exprs


def test_provisioning_matches_compose() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    provider = yaml.safe_load((GRAFANA / "provisioning/dashboards/warmcity.yml").read_text())["providers"][0]
    mounts = dict(volume.split(":")[1::-1] for volume in compose["services"]["grafana"]["volumes"])
    assert mounts[provider["options"]["path"]] == "./grafana/dashboards"
    assert mounts["/etc/grafana/provisioning"] == "./grafana/provisioning"
    datasources = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    source = datasources["datasources"][0]
    assert source["url"] == "http://prometheus:9090" and "prometheus" in compose["services"]
