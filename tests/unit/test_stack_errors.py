"""The stack's failures name their cause: missing tools, bad settings, a server that dies or never answers."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from pipeline.settings import ClickHouseSettings, KafkaSettings, PipelineSettings, Settings, StackSettings
from pipeline.stack import LocalStack, StackError
from pipeline.stack.clickhouse import NOT_FOUND, ClickHouseServer, server_command
from pipeline.stack.kafka import KafkaBroker
from pipeline.stack.kafka_jars import kafka_libs
from pipeline.stack.model import ComponentName
from pipeline.stack.service import LocalService


def settings(tmp_path: Path, kafka: str = "127.0.0.1:39092", **stack: object) -> Settings:
    return Settings(
        kafka=KafkaSettings(bootstrap_servers=kafka),
        clickhouse=ClickHouseSettings(port=39000),
        pipeline=PipelineSettings(),
        stack=StackSettings(run_dir=tmp_path, kafka_controller_port=39093, **stack),  # type: ignore[arg-type]
    )


def test_clickhouse_not_found_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(StackError) as caught:
        server_command(None, search_path=str(tmp_path))
    assert str(caught.value) == NOT_FOUND
    assert "install Debian's clickhouse-server (make setup" in NOT_FOUND


def test_clickhouse_binary_setting_must_be_executable(tmp_path: Path) -> None:
    with pytest.raises(StackError, match="WARMCITY_STACK_CLICKHOUSE_BINARY=/no/such/clickhouse"):
        server_command("/no/such/clickhouse", search_path="")


@pytest.mark.parametrize(("name", "extra"), [("clickhouse-server", []), ("clickhouse", ["server"])])
def test_clickhouse_command_form_follows_the_binary(tmp_path: Path, name: str, extra: list[str]) -> None:
    binary = tmp_path / name
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    assert server_command(None, search_path=str(tmp_path)) == [str(binary), *extra]


def test_port_in_use_stops_up_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        broker = KafkaBroker(settings(tmp_path, f"127.0.0.1:{port}"), tmp_path, print)
        with pytest.raises(StackError, match=f"port {port} is in use by another process"):
            broker.start()
    assert not broker.pid_file.path.exists()


def test_local_services_refuse_non_loopback_addresses(tmp_path: Path) -> None:
    with pytest.raises(StackError, match=r"WARMCITY_KAFKA_BOOTSTRAP_SERVERS=192\.0\.2\.1 is not a loopback"):
        KafkaBroker(settings(tmp_path, "192.0.2.1:9092"), tmp_path, print).start()
    remote = Settings(
        kafka=KafkaSettings(),
        clickhouse=ClickHouseSettings(host="192.0.2.1"),
        pipeline=PipelineSettings(),
        stack=StackSettings(run_dir=tmp_path),
    )
    with pytest.raises(StackError, match=r"WARMCITY_CLICKHOUSE_HOST=192\.0\.2\.1 is not a loopback"):
        ClickHouseServer(remote, tmp_path, print).start()


def test_kafka_home_without_jars_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StackError, match="does not look like an unpacked Kafka tarball"):
        kafka_libs(tmp_path, "4.1.1", tmp_path, tmp_path / "maven.log", print)


def test_a_version_that_could_escape_the_cache_dir_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StackError, match="is not a Kafka version"):
        kafka_libs(None, "../../etc", tmp_path, tmp_path / "maven.log", print)


def test_external_components_that_do_not_answer_fail_up_and_show_unreachable(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    s = Settings(
        kafka=KafkaSettings(bootstrap_servers=f"127.0.0.1:{closed}"),
        clickhouse=ClickHouseSettings(port=closed, connect_timeout_s=1),
        pipeline=PipelineSettings(),
        stack=StackSettings(run_dir=tmp_path, kafka="external", clickhouse="external"),
    )
    stack = LocalStack(s)
    assert [(c.name, c.state) for c in stack.status()] == [
        ("kafka", "unreachable"),
        ("clickhouse", "unreachable"),
    ]
    with pytest.raises(StackError) as caught:
        stack.up()
    message = str(caught.value)
    assert f"Kafka at 127.0.0.1:{closed} (WARMCITY_STACK_KAFKA=external) did not answer" in message
    assert "(WARMCITY_STACK_CLICKHOUSE=external) did not answer" in message
    assert stack.down() == []


class ScriptServer(LocalService):
    """A stand-in server that is a real Python process running ``script``; it never answers a probe."""

    name: ComponentName = "kafka"
    display_name = "Script"

    def __init__(self, run_dir: Path, script: str, timeout_s: float) -> None:
        super().__init__(run_dir, "127.0.0.1", 1, timeout_s, print)
        self.script = script

    @property
    def config_path(self) -> Path:
        return self.home / "script.py"

    @property
    def log(self) -> Path:
        return self.output

    def ports(self) -> list[tuple[int, str]]:
        return []

    def validate(self) -> None:
        pass

    def prepare(self) -> list[str]:
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.script)
        return [sys.executable, str(self.config_path)]

    def probe(self, timeout_s: float) -> None:
        raise ConnectionRefusedError("never ready")

    def diagnosis_logs(self) -> list[Path]:
        return [self.output]


def test_a_server_that_exits_early_is_reported_with_its_last_log_lines(tmp_path: Path) -> None:
    server = ScriptServer(tmp_path, "import sys\nprint('fatal: bad config')\nsys.exit(3)\n", timeout_s=30)
    server.start()
    with pytest.raises(StackError) as caught:
        server.wait_ready()
    assert "Script exited during start (exit code 3)" in str(caught.value)
    assert "fatal: bad config" in str(caught.value)
    assert server.status().state == "stopped"


def test_a_server_that_never_answers_times_out_naming_its_log_and_is_stopped(tmp_path: Path) -> None:
    server = ScriptServer(tmp_path, "import time\ntime.sleep(60)\n", timeout_s=1)
    server.start()
    assert server.status().pid is not None
    with pytest.raises(StackError, match=rf"Script did not answer within 1 s: see {server.output}"):
        server.wait_ready()
    assert server.status().state == "stopped"
    assert not server.stop()
