"""Operators' side on the real stack: a watch-list change takes effect within 5 s without a restart, and an
alert goes open -> acknowledged -> resolved through `warmcity alerts ack|resolve`, into ClickHouse too."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.contracts import Alert
from pipeline.contracts.alert import AlertState
from pipeline.settings import Settings
from pipeline.storage.client import clickhouse_client
from pipeline.worker.child import settings_env
from tests.integration.helpers import (
    NOW_ISO,
    prepared,
    produce,
    read_topic,
    running_worker,
    scenario_settings,
    wait_for,
)
from tests.unit.factories import device, plate_read_bytes, watch_entry

pytestmark = pytest.mark.integration

PLATE = "蒙K7Q219"
TAKES_EFFECT_WITHIN_S = 5.0


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **settings_env(settings)}
    return subprocess.run([sys.executable, "-m", "pipeline.cli.main", *args], env=env, capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip


def alerts_of(bootstrap: str, topic: str, expected: int, timeout_s: float = 20) -> list[Alert]:
    return [Alert.model_validate_json(v) for _, v in read_topic(bootstrap, topic, expected, timeout_s)]


def test_watch_list_changes_and_operator_actions(
    stack_settings: Settings, unique_prefix: str, unique_database: str, tmp_path: Path
) -> None:
    settings = scenario_settings(stack_settings, unique_prefix, unique_database, tmp_path)
    bootstrap, topics = prepared(settings, unique_database)
    produce(bootstrap, topics.ref_devices, [(b"KK-DS-0001", device().model_dump_json().encode())])

    def read(n: int) -> tuple[bytes, bytes]:
        return b"KK-DS-0001", plate_read_bytes(event_id=f"ev-life-{n:04d}", plate=PLATE, event_time=NOW_ISO)

    log_path = tmp_path / "worker.log"
    with running_worker(settings, log_path):
        produce(bootstrap, topics.raw_plate_reads, [read(1)])
        client = clickhouse_client(settings.clickhouse)
        wait_for(
            lambda: client.execute("SELECT count() FROM plate_reads")[0][0], 60, "the first read", log_path
        )
        assert read_topic(bootstrap, topics.alerts, 1, timeout_s=3) == []  # not watched yet: no alert

        produce(
            bootstrap,
            topics.ref_plate_watchlist,
            [(PLATE.encode(), watch_entry(PLATE).model_dump_json().encode())],
        )
        time.sleep(TAKES_EFFECT_WITHIN_S)
        produce(bootstrap, topics.raw_plate_reads, [read(2)])
        raised = alerts_of(bootstrap, topics.alerts, 1)
        assert [a.evidence_event_ids for a in raised] == [("ev-life-0002",)], (
            f"no alert within 5 s: {log_path}"
        )
        alert_id = raised[0].alert_id

        acked = cli(settings, "alerts", "ack", alert_id, "--operator", "duty-7", "--note", "car 12 sent")
        assert acked.returncode == 0, acked.stderr
        resolved = cli(settings, "alerts", "resolve", alert_id, "--operator", "duty-7", "--note", "stopped")
        assert resolved.returncode == 0, resolved.stderr
        versions = alerts_of(bootstrap, topics.alerts, 3)
        assert [(a.version, a.state) for a in versions] == [
            (1, AlertState.OPEN), (2, AlertState.ACKNOWLEDGED), (3, AlertState.RESOLVED)
        ]  # fmt: skip
        assert (versions[1].acknowledged_by, versions[2].resolved_by, versions[2].note) == (
            "duty-7",
            "duty-7",
            "stopped",
        )

        wait_for(lambda: client.execute("SELECT state, version FROM alerts_dedup") == [("resolved", 3)], 30,
                 "the resolved alert in ClickHouse", log_path)  # fmt: skip

        produce(bootstrap, topics.ref_plate_watchlist, [(PLATE.encode(), None)])  # removed from the list
        time.sleep(TAKES_EFFECT_WITHIN_S)
        produce(bootstrap, topics.raw_plate_reads, [read(3)])
        wait_for(lambda: client.execute("SELECT count() FROM plate_reads")[0][0] == 3, 60, "the third read")
        time.sleep(2)
        assert len(alerts_of(bootstrap, topics.alerts, 4, timeout_s=5)) == 3  # no new alert after removal
