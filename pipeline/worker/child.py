"""A worker as a child process: how the demo and the integration tests run the real thing."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings

from pipeline.settings import Settings

STOP_TIMEOUT_S = 30.0


def _as_env(section: BaseSettings) -> dict[str, str]:
    """Every field of a settings section as the environment variable that sets it (JSON for lists)."""
    prefix = str(section.model_config.get("env_prefix", ""))
    dumped = section.model_dump(mode="json")
    env = {}
    for name, dumped_value in dumped.items():
        raw = getattr(section, name)
        if raw is None:
            continue
        value = raw.get_secret_value() if isinstance(raw, SecretStr) else dumped_value
        env[f"{prefix}{name}".upper()] = json.dumps(value) if isinstance(value, list | dict) else str(value)
    return env


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a child process resolve the same settings as ``settings``: Kafka,
    ClickHouse, the pipeline, privacy, alerting and rule settings, every field of each."""
    env: dict[str, str] = {}
    for section in (
        settings.kafka,
        settings.clickhouse,
        settings.pipeline,
        settings.privacy,
        settings.alerting,
        settings.rules,
    ):
        env.update(_as_env(section))
    return env


@contextmanager
def child_process(
    argv: Sequence[str], env: Mapping[str, str], log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """``argv`` for the duration of the block, its output in ``log_path``; stopped after with SIGTERM, and
    SIGKILL if it has not gone in 30 s. It leads a session of its own, so a Ctrl-C meant for the parent
    does not reach it first (the parent stops it in order)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            list(argv), stdout=log, stderr=subprocess.STDOUT, env=dict(env), start_new_session=True
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


def worker_process(env: Mapping[str, str], log_path: Path) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """``warmcity worker`` as a child process (Faust shuts the agents down in order on SIGTERM)."""
    return child_process([sys.executable, "-m", "pipeline.cli.main", "worker"], env, log_path)
