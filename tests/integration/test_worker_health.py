"""/healthz and /readyz of a real worker: live from the start, ready only once its reference data is loaded,
its tables recovered and partitions assigned, served next to /metrics."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from pipeline.contracts import DeviceFamily
from pipeline.settings import Settings
from tests.integration.helpers import prepared, produce, running_worker, scenario_settings, wait_for
from tests.unit.factories import device

pytestmark = pytest.mark.integration


def get(url: str) -> tuple[int, dict[str, Any]] | None:
    """Status and JSON body, or None while nothing answers on the port."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
    except OSError:
        return None


def test_a_worker_is_live_at_once_and_ready_once_it_can_work(
    stack_settings: Settings, unique_prefix: str, unique_database: str, tmp_path: Path
) -> None:
    settings = scenario_settings(stack_settings, unique_prefix, unique_database, tmp_path)
    bootstrap, topics = prepared(settings, unique_database)
    produce(bootstrap, topics.ref_devices, [(b"KK-DS-0001", device().model_dump_json().encode())])
    base = f"http://127.0.0.1:{settings.pipeline.metrics_port}"
    log_path = tmp_path / "worker.log"
    with running_worker(settings, log_path) as process:
        first = wait_for(lambda: get(f"{base}/readyz"), 60, "the worker's HTTP endpoint", log_path)
        # The endpoint starts before the Faust worker: not ready yet, and the body says what is missing.
        assert first is not None
        status, body = first
        assert status == 503 and body["status"] == "fail", body
        assert body["checks"]["references"] == "loading" or body["checks"]["partitions_assigned"] == 0, body

        def when_ready() -> dict[str, Any] | None:
            got = get(f"{base}/readyz")
            return got[1] if got is not None and got[0] == 200 else None

        ready = wait_for(when_ready, 90, "the worker ready", log_path)
        assert ready is not None
        checks = ready["checks"]
        assert checks["references"] == "loaded" and checks["tables"] == "recovered"
        # 3 partitions (scenario_settings) of each raw topic at least, and of the internal topics
        assert checks["partitions_assigned"] >= 3 * len(DeviceFamily)
        assert checks["shutting_down"] is False

        for _ in range(3):  # the loop keeps answering the pinger, about once a second
            live = get(f"{base}/healthz")
            assert live is not None and live[0] == 200 and live[1]["status"] == "ok", live
            assert float(live[1]["checks"]["event_loop"].split()[1]) < 5.0, live
            time.sleep(1.5)
        metrics = urllib.request.urlopen(f"{base}/metrics", timeout=5).read()
        assert b"warmcity_worker_assigned_partitions{" in metrics
        assert process.poll() is None
