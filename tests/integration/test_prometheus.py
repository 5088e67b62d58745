"""A real Prometheus scrapes a real worker and the simulator on the test stack; its query API must show the
key series of the catalogue, moving.

Prometheus is the binary of Debian's ``prometheus`` package that ``deploy/local/tools.sh`` unpacks (``make
tools``, part of ``make setup``); without it the test fails and says so. The scrape config is generated
for this test (1 s scrapes of the two ports) and loads the project's rules
(``deploy/prometheus/rules/warmcity.yml``), so the recording rules are evaluated on real series too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.settings import Settings
from pipeline.storage.client import clickhouse_client
from pipeline.worker.child import child_process, settings_env
from tests.deploy.helpers import RULES_FILE, require_tool
from tests.integration.helpers import free_port, prepared, running_worker, scenario_settings, wait_for

pytestmark = pytest.mark.integration

WATCHED = "蒙K8A888"
WINDOW = "[30s]"

#: PromQL that must return at least one sample with a value > 0 (what each says in its comment).
MOVING = {
    # the worker's intake, per stage and family
    "intake in": f'sum(rate(warmcity_stage_events_in_total{{stage="intake"}}{WINDOW}))',
    "intake out": f'sum(rate(warmcity_stage_events_out_total{{stage="intake"}}{WINDOW}))',
    "detect stage": f'sum(rate(warmcity_stage_events_in_total{{stage="detect"}}{WINDOW}))',
    "alert book stage": f'sum(rate(warmcity_stage_batch_seconds_count{{stage="alert_book"}}{WINDOW}))',
    "intake latency": f'sum(rate(warmcity_stage_batch_seconds_count{{stage="intake"}}{WINDOW}))',
    "dead letters": f"sum(rate(warmcity_dead_lettered_total{WINDOW}))",
    "event lag": f"sum(rate(warmcity_event_lag_seconds_count{WINDOW}))",
    "district events": f"sum(rate(warmcity_district_events_total{WINDOW}))",
    "sink rows": f'sum(rate(warmcity_sink_rows_total{{table="plate_reads"}}{WINDOW}))',
    "sink batches": f'sum(rate(warmcity_sink_batch_rows_count{{table="device_events"}}{WINDOW}))',
    "sink inserts": f"sum(rate(warmcity_sink_insert_seconds_count{WINDOW}))",
    "sink fresh": 'time() - max(warmcity_sink_last_success_timestamp_seconds{table="plate_reads"}) < 30',
    # A watched plate seen again within the suppression window merges into its open alert: one new alert,
    # whose counter series is born at 1 (no increase() to see), so these are counts, not rates.
    "alerts raised": 'sum(warmcity_alerts_raised_total{rule="watchlist.plate"})',
    "alerts by district": 'sum(warmcity_district_alerts_total{rule="watchlist.plate"})',
    "alert lag": 'sum(warmcity_alert_lag_seconds_count{rule="watchlist.plate"})',
    "open alerts": 'sum(warmcity_alerts_open{rule="watchlist.plate", state="open"})',
    "registry size": 'warmcity_reference_entries{reference="devices"}',
    "watch list size": 'warmcity_reference_entries{reference="watchlist_plates"}',
    "assigned partitions": "sum(warmcity_worker_assigned_partitions)",
    "simulator sent": f"sum(rate(warmcity_simulator_sent_total{WINDOW}))",
    "recording rule": "sum(warmcity:intake_messages:rate5m)",
    "worker up": 'up{job="warmcity-worker"}',
    "simulator up": 'up{job="warmcity-simulator"}',
}
#: PromQL that must return at least one sample (a gauge that may rightly be 0).
PRESENT = {
    "consumer lag per partition": 'warmcity_consumer_lag_messages{topic=~".*raw.vehicle_checkpoint"}',
    "lag by topic (recording rule)": "warmcity:consumer_lag_messages:by_topic",
    "invalid share": "warmcity_invalid_share",
}


def scrape_config(worker_port: int, simulator_port: int) -> dict[str, Any]:
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES_FILE)],
        "scrape_configs": [
            {"job_name": "warmcity-worker", "static_configs": [{"targets": [f"127.0.0.1:{worker_port}"]}]},
            {
                "job_name": "warmcity-simulator",
                "static_configs": [{"targets": [f"127.0.0.1:{simulator_port}"]}],
            },
        ],
    }


@contextmanager
def running_prometheus(config: dict[str, Any], folder: Path) -> Iterator[str]:
    """Prometheus for the block, on a free port with its data in ``folder``; yields its base URL."""
    binary = require_tool("prometheus")  # fails (not skips), naming `make tools`
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    argv = [
        str(binary),
        f"--config.file={folder / 'prometheus.yml'}",
        f"--storage.tsdb.path={folder / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    url = f"http://127.0.0.1:{port}"
    with child_process(argv, dict(os.environ), folder / "prometheus.log") as process:
        wait_for(
            lambda: process.poll() is not None or ready(url),
            30,
            "Prometheus ready",
            folder / "prometheus.log",
        )
        assert process.poll() is None, (folder / "prometheus.log").read_text()[-2000:]
        yield url


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def query(url: str, expr: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(
        f"{url}/api/v1/query?{urllib.parse.urlencode({'query': expr})}", timeout=10
    ) as r:
        answer = json.loads(r.read())
    assert answer["status"] == "success", answer
    result: list[dict[str, Any]] = answer["data"]["result"]
    return result


def cli(settings: Settings, *args: str) -> None:
    env = {**os.environ, **settings_env(settings)}
    subprocess.run(
        [sys.executable, "-m", "pipeline.cli.main", *args], env=env, check=True, capture_output=True
    )


def test_prometheus_sees_the_key_series_of_worker_and_simulator_move(
    stack_settings: Settings, unique_prefix: str, unique_database: str, tmp_path: Path
) -> None:
    settings = scenario_settings(stack_settings, unique_prefix, unique_database, tmp_path)
    prepared(settings, unique_database)
    cli(settings, "registry", "publish", "--profile", "small")
    cli(settings, "watchlist", "add", WATCHED, "--category", "wanted", "--reason", "test", "--priority", "1")
    simulator_port = free_port()
    config = scrape_config(settings.pipeline.metrics_port, simulator_port)
    simulate = [
        sys.executable, "-m", "pipeline.cli.main", "simulate", "--profile", "small", "--rate", "100",
        "--duration", "240", "--watch-plate", WATCHED, "--inject-every", "40", "--malformed-share", "0.02",
        "--metrics-port", str(simulator_port),
    ]  # fmt: skip
    env = {**os.environ, **settings_env(settings)}
    log_path = tmp_path / "worker.log"
    with (
        running_prometheus(config, tmp_path / "prometheus") as prometheus,
        running_worker(settings, log_path),
        child_process(simulate, env, tmp_path / "simulator.log") as simulator,
    ):
        missing: dict[str, str] = {}

        def every_series_moves() -> bool:
            assert simulator.poll() is None, (tmp_path / "simulator.log").read_text()[-2000:]
            missing.clear()
            for name, expr in MOVING.items():
                if not any(float(s["value"][1]) > 0 for s in query(prometheus, expr)):
                    missing[name] = expr
            for name, expr in PRESENT.items():
                if not query(prometheus, expr):
                    missing[name] = expr
            return not missing

        try:
            wait_for(every_series_moves, 150, "every key series in Prometheus", log_path)
        except AssertionError as error:
            raise AssertionError(f"still missing or not moving: {missing}\n{error}") from None
        # What Prometheus says the sink stored is what ClickHouse holds (inserts after the scrape add more).
        (scraped,) = query(prometheus, 'sum(warmcity_sink_rows_total{table="plate_reads"})')
        stored = clickhouse_client(settings.clickhouse).execute("SELECT count() FROM plate_reads")[0][0]

    assert 0 < float(scraped["value"][1]) <= stored
