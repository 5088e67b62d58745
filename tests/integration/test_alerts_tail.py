"""``warmcity alerts tail`` as an operator runs it, against a real alerts topic."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import orjson
import pytest

from pipeline.contracts import Severity
from pipeline.settings import Settings
from pipeline.topics import Topics, ensure_topics
from pipeline.worker.child import settings_env
from tests.integration.helpers import produce
from tests.unit.test_alerts_view import alert

pytestmark = pytest.mark.integration


def run_tail(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **settings_env(settings)}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli.main", "alerts", "tail", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_tail_filters_and_prints_lines_or_json(stack_settings: Settings, unique_prefix: str) -> None:
    settings = replace(
        stack_settings, kafka=stack_settings.kafka.model_copy(update={"topic_prefix": unique_prefix})
    )
    topics = Topics.from_settings(settings.kafka)
    ensure_topics(settings.kafka.bootstrap_servers, topics.specs())
    alerts = [
        alert(Severity.LOW, alert_id="al-low"),
        alert(Severity.CRITICAL, district="Dalad", alert_id="al-dalad"),
        alert(Severity.HIGH, alert_id="al-high"),
        alert(Severity.CRITICAL, alert_id="al-critical"),
    ]
    messages: list[tuple[bytes | None, bytes | None]] = [
        (a.subject.encode(), a.model_dump_json().encode()) for a in alerts
    ]
    produce(settings.kafka.bootstrap_servers, topics.alerts, [*messages, (b"x", b"not an alert")])

    lines = run_tail(
        settings, "--from-beginning", "--severity", "high", "--district", "Dongsheng", "--idle-timeout", "5"
    )
    assert lines.returncode == 0, lines.stderr
    shown = lines.stdout.splitlines()
    assert [line.split()[3] for line in shown] == ["HIGH", "CRITICAL"]
    assert all("Dongsheng/PA-01/GC-0001" in line for line in shown)
    assert "1 messages on" in lines.stderr and "were not valid alerts" in lines.stderr

    as_json = run_tail(settings, "--from-beginning", "--json", "--max", "2")
    assert as_json.returncode == 0, as_json.stderr
    assert [orjson.loads(line)["alert_id"] for line in as_json.stdout.splitlines()] == ["al-low", "al-dalad"]


def test_tail_refuses_an_unknown_time_zone(stack_settings: Settings) -> None:
    result = run_tail(stack_settings, "--tz", "Mars/Olympus", "--max", "1")
    assert result.returncode == 2
    assert "unknown time zone 'Mars/Olympus'" in result.stderr
