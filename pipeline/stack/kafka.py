"""The single-node Kafka broker of the local stack (KRaft, broker and controller in one JVM).

Layout under ``<run_dir>/kafka/``: ``server.properties`` (rendered from ``deploy/local/kafka`` on every
start, so changed ports apply), ``data/`` (the log dir; formatted once, when ``meta.properties`` is absent),
``logs/server.log`` (Log4j2), ``kafka.out`` (the JVM's own output) and ``maven.log``.
"""

from __future__ import annotations

import base64
import logging
import re
import subprocess
import uuid
from pathlib import Path

from confluent_kafka.admin import AdminClient

from pipeline.settings import Settings
from pipeline.stack.kafka_jars import find_java, kafka_libs
from pipeline.stack.model import Progress, StackError
from pipeline.stack.process import port_answers
from pipeline.stack.service import LocalService, require_loopback
from pipeline.stack.templates import DEPLOY_DIR, render

_HEAP = re.compile(r"^[0-9]+[kKmMgG]?$")
# librdkafka logs through this logger instead of writing connection errors to stderr.
_RDKAFKA_LOG = logging.getLogger("pipeline.stack.librdkafka")


def kafka_probe(bootstrap_servers: str, timeout_s: float) -> None:
    """Raise unless the cluster answers a metadata request (the first thing any client does)."""
    # A plain connect first: it fails at once on a closed port, where librdkafka would retry until timeout.
    addresses = [server.strip().rpartition(":") for server in bootstrap_servers.split(",")]
    if not any(port_answers(host or "127.0.0.1", int(port), timeout_s) for host, _, port in addresses):
        raise ConnectionRefusedError(f"nothing listens on {bootstrap_servers}")
    admin = AdminClient(
        {"bootstrap.servers": bootstrap_servers, "socket.connection.setup.timeout.ms": int(timeout_s * 1000)},
        logger=_RDKAFKA_LOG,
    )
    admin.list_topics(timeout=timeout_s)


def cluster_id() -> str:
    """A KRaft cluster id as ``StorageTool random-uuid`` makes it, without paying for a JVM start."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):  # Kafka avoids these: they read as options on a command line
            return text


class KafkaBroker(LocalService):
    name = "kafka"
    display_name = "Kafka"

    def __init__(self, settings: Settings, run_dir: Path, progress: Progress) -> None:
        host, port = settings.kafka.first_host_port
        self.stack = settings.stack
        super().__init__(run_dir, host, port, settings.stack.ready_timeout_s, progress)
        self.data_dir = self.home / "data"
        self.logs_dir = self.home / "logs"

    @property
    def config_path(self) -> Path:
        return self.home / "server.properties"

    @property
    def log(self) -> Path:
        return self.home / "logs" / "server.log"

    def ports(self) -> list[tuple[int, str]]:
        return [
            (self.port, "WARMCITY_KAFKA_BOOTSTRAP_SERVERS"),
            (self.stack.kafka_controller_port, "WARMCITY_STACK_KAFKA_CONTROLLER_PORT"),
        ]

    def validate(self) -> None:
        require_loopback(self.host, "WARMCITY_KAFKA_BOOTSTRAP_SERVERS")
        if self.stack.kafka_controller_port == self.port:
            raise StackError("the Kafka controller port must differ from the broker port")
        if not _HEAP.match(self.stack.kafka_heap):
            raise StackError(f"WARMCITY_STACK_KAFKA_HEAP={self.stack.kafka_heap!r} is not a size like 1g")

    def prepare(self) -> list[str]:
        java = find_java()
        libs = kafka_libs(
            self.stack.kafka_home,
            self.stack.kafka_version,
            self.stack.kafka_cache_dir,
            self.home / "maven.log",
            self.progress,
        )
        for folder in (self.data_dir, self.logs_dir):
            folder.mkdir(parents=True, exist_ok=True)
        values = {
            "host": self.host,
            "port": str(self.port),
            "controller_port": str(self.stack.kafka_controller_port),
            "data_dir": str(self.data_dir),
        }
        render(DEPLOY_DIR / "kafka" / "server.properties", self.config_path, values)
        options = [
            "-cp",
            f"{libs}/*",
            f"-Dlog4j2.configurationFile={DEPLOY_DIR / 'kafka' / 'log4j2.yaml'}",
            f"-Dkafka.logs.dir={self.logs_dir}",
            "-Djava.awt.headless=true",
        ]
        if not (self.data_dir / "meta.properties").exists():
            self._format([java, *options])
        heap = [f"-Xmx{self.stack.kafka_heap}", "-XX:+UseG1GC"]
        return [java, *heap, *options, "kafka.Kafka", str(self.config_path)]

    def _format(self, jvm: list[str]) -> None:
        self.progress("formatting Kafka storage (first start)...")
        # Static controller.quorum.voters in server.properties: format without --standalone.
        command = [*jvm, "kafka.tools.StorageTool", "format", "-t", cluster_id(), "-c", str(self.config_path)]
        try:
            run = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        except subprocess.TimeoutExpired as exc:
            raise StackError("kafka.tools.StorageTool format did not finish within 120 s") from exc
        if run.returncode != 0:
            output = (run.stdout + run.stderr).strip()[-3000:]
            raise StackError(f"formatting Kafka storage in {self.data_dir} failed:\n{output}")

    def probe(self, timeout_s: float) -> None:
        kafka_probe(self.address, timeout_s)
