"""The writer and analyst users of the local stack (users.d/warmcity.xml) and the client built for each."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pydantic import SecretStr

from pipeline.settings import ClickHouseSettings, KafkaSettings, PipelineSettings, Settings, StackSettings
from pipeline.stack import StackError
from pipeline.stack.clickhouse import ClickHouseServer, pipeline_users_values
from pipeline.storage.client import clickhouse_client, credentials


def rendered(tmp_path: Path, **clickhouse: object) -> ET.Element:
    settings = Settings(
        kafka=KafkaSettings(),
        clickhouse=ClickHouseSettings(port=39000, **clickhouse),  # type: ignore[arg-type]
        pipeline=PipelineSettings(),
        stack=StackSettings(run_dir=tmp_path, clickhouse_http_port=38123),
    )
    ClickHouseServer(settings, tmp_path, print).prepare()
    path = tmp_path / "clickhouse" / "users.d" / "warmcity.xml"
    assert path.stat().st_mode & 0o077 == 0
    return ET.parse(path).getroot()


def test_the_writer_may_not_change_schemas(tmp_path: Path) -> None:
    root = rendered(tmp_path)
    assert root.tag == "yandex"
    writer = root.find("users/warmcity_writer")
    assert writer is not None
    assert writer.findtext("profile") == "warmcity_writer"
    assert [ip.text for ip in writer.findall("networks/ip")] == ["::1", "127.0.0.1"]
    profile = root.find("profiles/warmcity_writer")
    assert profile is not None
    # Only what 18.16 enforces: see the comment of users.d/warmcity.xml (no read limit, it did not hold).
    assert {e.tag: e.text for e in profile} == {"profile": "default", "allow_ddl": "0"}


def test_the_analyst_is_readonly_with_the_configured_limits(tmp_path: Path) -> None:
    root = rendered(
        tmp_path,
        analyst_max_memory_usage=1_000_000,
        analyst_max_execution_time_s=7,
        analyst_max_rows_to_read=99,
    )
    analyst = root.find("users/warmcity_analyst")
    assert analyst is not None
    assert analyst.findtext("profile") == "warmcity_analyst"
    profile = root.find("profiles/warmcity_analyst")
    assert profile is not None
    assert {e.tag: e.text for e in profile} == {
        "profile": "default",
        "readonly": "1",
        "max_memory_usage": "1000000",
        "max_execution_time": "7",
        "timeout_overflow_mode": "throw",
        "max_rows_to_read": "99",
        "read_overflow_mode": "throw",
    }


def test_names_and_hashed_passwords_come_from_the_settings(tmp_path: Path) -> None:
    root = rendered(
        tmp_path,
        writer_user="sink",
        writer_password=SecretStr("w-secret"),
        analyst_user="bi",
        analyst_password=SecretStr("a-secret"),
    )
    text = ET.tostring(root, encoding="unicode")
    assert "w-secret" not in text and "a-secret" not in text
    assert root.findtext("users/sink/password_sha256_hex") == hashlib.sha256(b"w-secret").hexdigest()
    assert root.findtext("users/bi/password_sha256_hex") == hashlib.sha256(b"a-secret").hexdigest()
    assert [u.tag for u in root.findall("users/*")] == ["sink", "bi"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"writer_user": "default"},
            "WARMCITY_CLICKHOUSE_WRITER_USER='default' is already the built-in user",
        ),
        (
            {"user": "ops", "analyst_user": "ops"},
            "WARMCITY_CLICKHOUSE_ANALYST_USER='ops' is already WARMCITY_CLI",
        ),
        ({"analyst_user": "warmcity_writer"}, "'warmcity_writer' is already WARMCITY_CLICKHOUSE_WRITER_USER"),
        (
            {"writer_user": "bad name"},
            "WARMCITY_CLICKHOUSE_WRITER_USER='bad name' cannot be a users.xml user",
        ),
    ],
)
def test_clashing_or_bad_names_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(StackError, match=message):
        pipeline_users_values(ClickHouseSettings(**changes))  # type: ignore[arg-type]


def test_a_client_logs_in_as_each_user() -> None:
    settings = ClickHouseSettings(
        user="ops",
        password=SecretStr("o"),
        writer_password=SecretStr("w"),
        analyst_password=SecretStr("a"),
    )
    assert credentials(settings, "admin") == ("ops", "o")
    assert credentials(settings, "writer") == ("warmcity_writer", "w")
    assert credentials(settings, "analyst") == ("warmcity_analyst", "a")
    assert clickhouse_client(settings, as_user="analyst").connection.user == "warmcity_analyst"
    assert clickhouse_client(settings).connection.user == "ops"
    with pytest.raises(ValueError, match="as_user='root' is not one of admin, writer, analyst"):
        credentials(settings, "root")  # type: ignore[arg-type]
