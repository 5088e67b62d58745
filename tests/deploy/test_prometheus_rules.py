"""deploy/prometheus: the scrape config and the rules pass promtool, the rules' unit tests pass, every
alert has a test that makes it fire, and every series the rules select is declared in pipeline/metrics.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.settings import PipelineSettings
from tests.deploy.helpers import (
    DEPLOY,
    RULES_FILE,
    alerting_rules,
    catalogue,
    recording_rules,
    run_tool,
    unknown_series,
)

PROMETHEUS = DEPLOY / "prometheus"
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.yml"))


def test_promtool_checks_the_rules() -> None:
    result = run_tool("promtool", "check", "rules", str(RULES_FILE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_checks_the_scrape_config() -> None:
    result = run_tool("promtool", "check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_there_are_rule_tests() -> None:
    assert len(RULE_TESTS) >= 4, RULE_TESTS


@pytest.mark.parametrize("test_file", RULE_TESTS, ids=lambda p: p.name)
def test_promtool_rule_unit_tests_pass(test_file: Path) -> None:
    result = run_tool("promtool", "test", "rules", str(test_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout and "FAILED" not in result.stdout


def test_every_alert_is_tested_firing_and_quiet() -> None:
    """Each alert appears in a test where it fires and in one where it must not (exp_alerts: [])."""
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
    alerts = set(alerting_rules())
    assert alerts - firing == set(), "alerts no test makes fire"
    assert alerts - quiet == set(), "alerts no test expects to stay quiet"
    assert (firing | quiet) - alerts == set(), "tests of alerts that do not exist"


def test_the_alerts_the_issue_asks_for_exist() -> None:
    assert {
        "WarmcityConsumerLagGrowing",
        "WarmcityDeadLetterShareHigh",
        "WarmcitySinkFailing",
        "WarmcitySinkStalled",
        "WarmcityWorkerDown",
        "WarmcityDistrictSilent",
        "WarmcityDeviceClockAhead",
    } <= set(alerting_rules())


def test_rules_select_only_declared_metrics() -> None:
    known, recorded = catalogue(), set(recording_rules())
    problems = {
        name: unknown_series(expr, known, recorded)
        for name, expr in [*recording_rules().items(), *((n, r["expr"]) for n, r in alerting_rules().items())]
    }
    assert {name: found for name, found in problems.items() if found} == {}


def test_every_alert_has_severity_summary_and_runbook() -> None:
    for name, rule in alerting_rules().items():
        assert rule["labels"]["severity"] in {"critical", "warning"}, name
        assert {"summary", "description", "runbook"} <= set(rule["annotations"]), name


def test_scrape_config_uses_the_workers_metrics_port_and_the_rules_job_names() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    port = PipelineSettings().metrics_port
    for job in ("warmcity-worker", "warmcity-simulator"):
        assert [sd["port"] for sd in jobs[job]["dns_sd_configs"]] == [port], job
    # The rules select the workers by this job name.
    assert any('job="warmcity-worker"' in rule["expr"] for rule in alerting_rules().values())
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]


def test_docs_explain_every_alert() -> None:
    doc = (DEPLOY.parent / "docs" / "deploy.md").read_text(encoding="utf-8")
    alerts_section = doc.split("## Alerts", 1)[1].split("\n## ", 1)[0]
    missing = [name for name in alerting_rules() if f"| `{name}` |" not in alerts_section]
    assert missing == []
