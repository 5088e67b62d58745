"""The HMAC key of local runs: the configured one, else one generated once into the run dir and reused."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from pipeline.privacy_key import KEY_FILE, with_demo_key
from pipeline.settings import (
    ClickHouseSettings,
    KafkaSettings,
    PipelineSettings,
    PrivacySettings,
    Settings,
    StackSettings,
)

ENV = "WARMCITY_PRIVACY_HMAC_KEY"


def settings(run_dir: Path, key: str = "") -> Settings:
    return Settings(
        kafka=KafkaSettings(),
        clickhouse=ClickHouseSettings(),
        pipeline=PipelineSettings(),
        stack=StackSettings(run_dir=run_dir),
        privacy=PrivacySettings(hmac_key=SecretStr(key)),
    )


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # setenv first: delenv alone records nothing when the variable is absent, and with_demo_key sets it.
    monkeypatch.setenv(ENV, "")
    monkeypatch.delenv(ENV)


def test_a_configured_key_is_kept_and_nothing_is_written(tmp_path: Path) -> None:
    said: list[str] = []
    configured = settings(tmp_path / "run", "k" * 32)
    assert with_demo_key(configured, said.append) is configured
    assert not (tmp_path / "run").exists()
    assert ENV not in os.environ
    assert not said


def test_without_a_key_one_is_generated_once_into_the_run_dir(tmp_path: Path) -> None:
    said: list[str] = []
    first = with_demo_key(settings(tmp_path / "run"), said.append)
    key_file = tmp_path / "run" / KEY_FILE
    key = key_file.read_text()
    assert len(bytes.fromhex(key)) == 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.privacy.key_bytes() == key.encode()
    assert os.environ[ENV] == key  # for the worker process
    assert len(said) == 1 and str(key_file) in said[0]

    second = with_demo_key(settings(tmp_path / "run"), said.append)
    assert second.privacy.key_bytes() == key.encode()  # the same key on the next run, no new message
    assert len(said) == 1
