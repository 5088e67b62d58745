"""deploy/docker-compose.yml and the Dockerfile, checked without Docker (none runs here): the services,
the official images, KRaft, and agreement with the local stack (ports, Kafka version), with
pipeline/settings.py (every WARMCITY_* name) and with the CLI (every command line parses)."""

from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ET
from typing import Any

import click
import pytest
import yaml

from pipeline.settings import ClickHouseSettings, KafkaSettings, PipelineSettings, StackSettings
from pipeline.worker.health import READINESS_PATH
from tests.deploy.helpers import DEPLOY, ROOT, parse_cli, settings_env_vars

COMPOSE_FILE = DEPLOY / "docker-compose.yml"
WARMCITY_SERVICES = ("init", "worker", "simulator")


def interpolate(value: str) -> str:
    """Compose's ${VAR:-default} by its default and ${VAR:?message} by a placeholder."""
    value = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)
    return re.sub(r"\$\{\w+:\?[^}]*\}", "set-by-the-operator", value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return document


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    return {str(k): interpolate(str(v)) for k, v in service.get("environment", {}).items()}


def host_ports(service: dict[str, Any]) -> dict[int, int]:
    """container port -> host port, for ports published on 127.0.0.1."""
    found: dict[int, int] = {}
    for entry in service.get("ports", []):
        address, host, container = str(entry).split(":")
        assert address == "127.0.0.1", f"{entry}: publish on loopback only"
        found[int(container)] = int(host)
    return found


def test_the_services(compose: dict[str, Any]) -> None:
    assert set(services(compose)) == {
        "kafka", "clickhouse", "init", "worker", "simulator", "prometheus", "grafana",
    }  # fmt: skip


def test_kafka_is_the_official_image_in_kraft_mode_like_the_local_stack(compose: dict[str, Any]) -> None:
    kafka = services(compose)["kafka"]
    image, _, version = kafka["image"].partition(":")
    assert image == "apache/kafka"
    assert version == StackSettings().kafka_version
    env = environment(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "zookeeper" not in " ".join(env).lower() and "zookeeper" not in services(compose)
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    # The workers' bootstrap is one of the advertised listeners; the host's is the local stack's port.
    advertised = {a.split("://")[1] for a in env["KAFKA_ADVERTISED_LISTENERS"].split(",")}
    worker_bootstrap = environment(services(compose)["worker"])["WARMCITY_KAFKA_BOOTSTRAP_SERVERS"]
    assert worker_bootstrap in advertised
    host, port = KafkaSettings().first_host_port
    assert f"{host}:{port}" in advertised
    assert port in host_ports(kafka).values()


def test_clickhouse_is_the_official_image_on_the_local_stacks_ports(compose: dict[str, Any]) -> None:
    clickhouse = services(compose)["clickhouse"]
    assert clickhouse["image"].split(":")[0] == "clickhouse/clickhouse-server"
    assert host_ports(clickhouse) == {
        9000: ClickHouseSettings().port,
        8123: StackSettings().clickhouse_http_port,
    }
    env = environment(services(compose)["worker"])
    assert env["WARMCITY_CLICKHOUSE_HOST"] == "clickhouse" and env["WARMCITY_CLICKHOUSE_PORT"] == "9000"


def test_every_warmcity_variable_is_a_setting(compose: dict[str, Any]) -> None:
    known = settings_env_vars()
    for name, service in services(compose).items():
        unknown = {v for v in environment(service) if v.startswith("WARMCITY_")} - known
        assert unknown == set(), f"{name}: not settings of pipeline/settings.py"


def test_the_pipeline_services_get_what_they_need(compose: dict[str, Any]) -> None:
    defaults = KafkaSettings()
    for name in WARMCITY_SERVICES:
        env = environment(services(compose)[name])
        assert env["WARMCITY_KAFKA_TOPIC_PREFIX"] == defaults.topic_prefix, name
        assert env["WARMCITY_PRIVACY_HMAC_KEY"] == "set-by-the-operator", (
            f"{name}: the key is never a default"
        )
    assert environment(services(compose)["init"])["WARMCITY_CLICKHOUSE_PASSWORD"] == "set-by-the-operator"
    worker = environment(services(compose)["worker"])
    assert worker["WARMCITY_CLICKHOUSE_WRITER_USER"] == ClickHouseSettings().writer_user
    assert "WARMCITY_CLICKHOUSE_PASSWORD" not in worker, "the worker never holds the admin password"


def command_lines(service: dict[str, Any]) -> list[list[str]]:
    command = service["command"]
    if service.get("entrypoint") == ["/bin/sh", "-c"]:
        (script,) = command
        return [shlex.split(interpolate(part)) for part in script.split("&&")]
    return [["warmcity", *(interpolate(str(arg)) for arg in command)]]


@pytest.mark.parametrize("name", WARMCITY_SERVICES)
def test_command_lines_parse_with_the_cli(compose: dict[str, Any], name: str) -> None:
    for line in command_lines(services(compose)[name]):
        assert line[0] == "warmcity", line
        parse_cli(line[1:])


def test_the_cli_check_rejects_a_wrong_option() -> None:
    with pytest.raises(click.UsageError):
        parse_cli(["simulate", "--rate", "fast"])
    with pytest.raises(click.UsageError):
        parse_cli(["wroker"])


def test_init_creates_topics_migrates_and_publishes_the_city_the_simulator_sends(
    compose: dict[str, Any],
) -> None:
    lines = command_lines(services(compose)["init"])
    assert [line[1:3] for line in lines] == [["topics", "create"], ["migrate"], ["registry", "publish"]]
    published = parse_cli(lines[2][1:]).params["profile"]
    (simulate,) = command_lines(services(compose)["simulator"])
    assert parse_cli(simulate[1:]).params["profile"] == published
    assert services(compose)["worker"]["depends_on"]["init"]["condition"] == "service_completed_successfully"


def test_metrics_port_agrees_with_settings_prometheus_and_the_healthcheck(compose: dict[str, Any]) -> None:
    worker = services(compose)["worker"]
    port = int(environment(worker)["WARMCITY_PIPELINE_METRICS_PORT"])
    assert port == PipelineSettings().metrics_port
    assert str(port) in worker["expose"]
    assert f":{port}{READINESS_PATH}" in " ".join(worker["healthcheck"]["test"])  # a path the worker serves
    simulator = services(compose)["simulator"]
    assert str(port) in simulator["expose"]
    (simulate,) = command_lines(simulator)
    assert parse_cli(simulate[1:]).params["metrics_port"] == port  # it serves what is scraped
    scrape = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())["scrape_configs"]
    ports = {job["job_name"]: job["dns_sd_configs"][0] for job in scrape if "dns_sd_configs" in job}
    assert ports["warmcity-worker"] == {
        "names": ["worker"],
        "type": "A",
        "port": port,
        "refresh_interval": "15s",
    }
    assert ports["warmcity-simulator"]["names"] == ["simulator"]


def test_mounted_files_exist(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name}: {source}"
    prometheus = services(compose)["prometheus"]
    assert "./prometheus/rules:/etc/prometheus/rules:ro" in prometheus["volumes"]


def test_clickhouse_users_match_the_settings_and_the_local_stack() -> None:
    tree = ET.parse(DEPLOY / "compose" / "clickhouse" / "users.d" / "warmcity.xml")
    defaults = ClickHouseSettings()
    users_element = tree.getroot().find("users")
    assert users_element is not None
    users = {user.tag: user for user in users_element}
    assert set(users) == {defaults.writer_user, defaults.analyst_user}
    known = settings_env_vars()
    for user in users.values():
        password = user.find("password")
        assert password is not None and password.get("from_env") in known
    profiles = tree.getroot().find("profiles")
    assert profiles is not None
    analyst = profiles.find(defaults.analyst_user)
    writer = profiles.find(defaults.writer_user)
    assert analyst is not None and writer is not None
    assert analyst.findtext("readonly") == "1" and writer.findtext("allow_ddl") == "0"
    assert analyst.findtext("max_memory_usage") == str(defaults.analyst_max_memory_usage)
    assert analyst.findtext("max_execution_time") == str(defaults.analyst_max_execution_time_s)
    assert analyst.findtext("max_rows_to_read") == str(defaults.analyst_max_rows_to_read)


# --- the Dockerfile ------------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_dockerfile_is_multi_stage_and_runs_the_cli_as_a_non_root_user() -> None:
    instructions = dockerfile_instructions()
    stages = [arg for op, arg in instructions if op == "FROM"]
    assert len(stages) >= 2 and stages[0].endswith(" AS build")
    final = instructions[max(i for i, (op, _) in enumerate(instructions) if op == "FROM") :]
    users = [arg for op, arg in final if op == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert any(op == "COPY" and arg.startswith("--from=build") for op, arg in final)
    assert ("ENTRYPOINT", '["warmcity"]') in final
    assert ("EXPOSE", str(PipelineSettings().metrics_port)) in final
    # The runtime stage's data dir is a setting, and what the build copies exists.
    env = " ".join(arg for op, arg in final if op == "ENV")
    assert "WARMCITY_PIPELINE_DATA_DIR=/var/lib/warmcity/worker" in env
    for op, arg in instructions:
        if op == "COPY" and not arg.startswith("--from"):
            for source in arg.split()[:-1]:
                assert (ROOT / source).exists(), source


def test_the_images_used_by_compose_are_built_from_the_dockerfile(compose: dict[str, Any]) -> None:
    for name in WARMCITY_SERVICES:
        service = services(compose)[name]
        assert service["build"] == {"context": "..", "dockerfile": "Dockerfile"}, name
        assert service["image"] == "warmcity-pipeline:0.1.0"
