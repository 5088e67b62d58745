"""Rendering of the stack's configs from deploy/local: Kafka server.properties, ClickHouse config, users."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pydantic import SecretStr

from pipeline.settings import ClickHouseSettings, KafkaSettings, PipelineSettings, Settings, StackSettings
from pipeline.stack import StackError
from pipeline.stack.clickhouse import ClickHouseServer, users_xml
from pipeline.stack.kafka import KafkaBroker, cluster_id
from pipeline.stack.kafka_jars import java_major
from pipeline.stack.templates import DEPLOY_DIR, render


def settings(tmp_path: Path, **clickhouse: object) -> Settings:
    return Settings(
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:39092,other:9092"),
        clickhouse=ClickHouseSettings(port=39000, **clickhouse),  # type: ignore[arg-type]
        pipeline=PipelineSettings(),
        stack=StackSettings(run_dir=tmp_path, kafka_controller_port=39093, clickhouse_http_port=38123),
    )


def properties(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_kafka_properties_listen_on_the_first_bootstrap_address(tmp_path: Path) -> None:
    broker = KafkaBroker(settings(tmp_path), tmp_path, print)
    values = {"host": broker.host, "port": str(broker.port), "controller_port": "39093", "data_dir": "/d"}
    props = properties(render(DEPLOY_DIR / "kafka" / "server.properties", broker.config_path, values))
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:39092,CONTROLLER://127.0.0.1:39093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:39092"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:39093"
    assert props["log.dirs"] == "/d"
    assert props["auto.create.topics.enable"] == "false"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["share.coordinator.state.topic.replication.factor"] == "1"
    assert broker.ports() == [
        (39092, "WARMCITY_KAFKA_BOOTSTRAP_SERVERS"),
        (39093, "WARMCITY_STACK_KAFKA_CONTROLLER_PORT"),
    ]


def test_clickhouse_config_is_loopback_only_and_under_the_run_dir(tmp_path: Path) -> None:
    run_dir = tmp_path / "odd & <dir>"  # paths must be escaped, not break the XML
    server = ClickHouseServer(settings(run_dir), run_dir, print)
    command = server.prepare()
    assert command[-1] == f"--config-file={run_dir / 'clickhouse' / 'config.xml'}"
    root = ET.parse(run_dir / "clickhouse" / "config.xml").getroot()
    assert root.tag == "yandex"  # what 18.16 requires; current releases accept it too
    assert [e.text for e in root.findall("listen_host")] == ["127.0.0.1"]
    assert root.findtext("tcp_port") == "39000"
    assert root.findtext("http_port") == "38123"
    for absent in ("interserver_http_port", "mysql_port", "postgresql_port"):
        assert root.find(absent) is None
    home = run_dir / "clickhouse"
    assert root.findtext("path") == f"{home / 'data'}/"
    assert root.findtext("tmp_path") == f"{home / 'tmp'}/"
    assert root.findtext("user_files_path") == f"{home / 'user_files'}/"
    assert root.findtext("format_schema_path") == f"{home / 'format_schemas'}/"
    assert root.findtext("logger/log") == str(home / "clickhouse-server.log")
    assert root.findtext("logger/errorlog") == str(home / "clickhouse-server.err.log")
    assert (home / "data").is_dir()


def test_clickhouse_users_default_without_password_loopback_only(tmp_path: Path) -> None:
    server = ClickHouseServer(settings(tmp_path), tmp_path, print)
    server.prepare()
    users = ET.parse(tmp_path / "clickhouse" / "users.xml").getroot().find("users")
    assert users is not None
    assert [user.tag for user in users] == ["default"]
    default = users[0]
    assert default.find("password") is not None
    assert default.findtext("password") in (None, "")
    assert [ip.text for ip in default.findall("networks/ip")] == ["::1", "127.0.0.1"]
    assert default.findtext("profile") == "default"


def test_clickhouse_users_add_the_configured_user_with_a_hashed_password(tmp_path: Path) -> None:
    server = ClickHouseServer(settings(tmp_path, user="sink", password=SecretStr("s3cret")), tmp_path, print)
    server.prepare()
    text = (tmp_path / "clickhouse" / "users.xml").read_text()
    assert "s3cret" not in text
    users = ET.fromstring(text).find("users")
    assert users is not None
    assert [user.tag for user in users] == ["default", "sink"]
    assert users[1].findtext("password_sha256_hex") == hashlib.sha256(b"s3cret").hexdigest()
    assert (tmp_path / "clickhouse" / "users.xml").stat().st_mode & 0o077 == 0


def test_a_user_name_that_is_no_xml_name_is_refused() -> None:
    with pytest.raises(StackError, match="WARMCITY_CLICKHOUSE_USER"):
        users_xml("bad name", "")


@pytest.mark.parametrize(
    ("printed", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', 17),
        ('openjdk version "21" 2023-09-19', 21),
        ('java version "1.8.0_402"', 8),
        ('openjdk version "11.0.22" 2024-01-16', 11),
        ("bash: java: command not found", None),
    ],
)
def test_java_major_version_is_read_from_java_version_output(printed: str, major: int | None) -> None:
    assert java_major(printed) == major


def test_cluster_ids_look_like_kafkas() -> None:
    ids = {cluster_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)
