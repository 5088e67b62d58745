"""A worker as a child process: how the demo and the integration tests run the real thing."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from pipeline.settings import Settings

STOP_TIMEOUT_S = 30.0


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a child process resolve the settings that matter to a worker."""
    return {
        "WARMCITY_KAFKA_BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
        "WARMCITY_KAFKA_TOPIC_PREFIX": settings.kafka.topic_prefix,
        "WARMCITY_KAFKA_PARTITIONS": str(settings.kafka.partitions),
        "WARMCITY_CLICKHOUSE_HOST": settings.clickhouse.host,
        "WARMCITY_CLICKHOUSE_PORT": str(settings.clickhouse.port),
        "WARMCITY_CLICKHOUSE_DATABASE": settings.clickhouse.database,
        "WARMCITY_CLICKHOUSE_USER": settings.clickhouse.user,
        "WARMCITY_CLICKHOUSE_PASSWORD": settings.clickhouse.password.get_secret_value(),
        "WARMCITY_PIPELINE_APP_ID": settings.pipeline.app_id,
        "WARMCITY_PIPELINE_METRICS_PORT": str(settings.pipeline.metrics_port),
        "WARMCITY_PIPELINE_DATA_DIR": str(settings.pipeline.data_dir),
        "WARMCITY_PIPELINE_SINK_BATCH_WITHIN_S": str(settings.pipeline.sink_batch_within_s),
        "WARMCITY_PRIVACY_HMAC_KEY": settings.privacy.hmac_key.get_secret_value(),
    }


@contextmanager
def worker_process(env: Mapping[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``warmcity worker`` for the duration of the block, its output in ``log_path``; stopped after with
    SIGTERM (Faust then shuts the agents down in order), and SIGKILL if it has not gone in 30 s."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli.main", "worker"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env),
            start_new_session=True,  # a Ctrl-C meant for the parent must not reach the worker first
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
