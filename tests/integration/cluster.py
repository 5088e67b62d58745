"""A small real ClickHouse cluster for the migrations' cluster mode: ZooKeeper and 2 shards x 2 replicas.

ZooKeeper runs from the jars ``make tools`` fetches from Maven Central (``deploy/local/tools.sh``,
``deploy/local/zookeeper/pom.xml``) into ``~/.cache/warmcity/tools/zookeeper/<version>/``; the four nodes are
the machine's ``clickhouse-server`` (Debian's 18.16, as the local stack), each with
``deploy/local/clickhouse-cluster/config.xml`` rendered for its ports, folder and ``{shard}``/``{replica}``
macros. Everything listens on free loopback ports and lives in one temporary folder; ``stop`` ends the
processes it started (by their handles) and nothing else. Neither the dev stack (19xxx) nor the test stack
(29xxx) is touched.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from clickhouse_driver import Client

from pipeline.settings import ClickHouseSettings
from pipeline.stack.clickhouse import default_search_path, server_command
from pipeline.stack.model import StackError
from tests.integration.helpers import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = REPO_ROOT / "deploy" / "local" / "clickhouse-cluster"
ZOOKEEPER_LOGBACK = REPO_ROOT / "deploy" / "local" / "zookeeper" / "logback.xml"
ZOOKEEPER_VERSION = os.environ.get("ZOOKEEPER_VERSION", "3.8.4")
TOOLS_DIR = Path(os.environ.get("WARMCITY_TOOLS_DIR", Path.home() / ".cache" / "warmcity" / "tools"))
CLUSTER = "warmcity_test"
SHARDS, REPLICAS = 2, 2


class ClusterStartError(RuntimeError):
    """Something the cluster needs is missing or did not start; the message says what to do."""


def zookeeper_jars() -> Path:
    jars = TOOLS_DIR / "zookeeper" / ZOOKEEPER_VERSION
    if not (jars / ".complete").exists():
        raise ClusterStartError(
            f"ZooKeeper {ZOOKEEPER_VERSION} jars not found in {jars}: run `make tools` "
            "(deploy/local/tools.sh fetches them from Maven Central with Maven; Java and Maven come with "
            "`make setup`)"
        )
    return jars


@dataclass
class Node:
    shard: int
    replica: int
    home: Path
    tcp_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    interserver_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        return f"shard {self.shard} replica {self.replica}"

    def settings(self, database: str) -> ClickHouseSettings:
        return ClickHouseSettings(host="127.0.0.1", port=self.tcp_port, database=database, user="default")

    def client(self, database: str = "default") -> Client:
        return Client("127.0.0.1", self.tcp_port, database=database, user="default", connect_timeout=5)


@dataclass
class LocalCluster:
    """ZooKeeper and ``SHARDS`` x ``REPLICAS`` clickhouse-server processes under ``home``."""

    home: Path
    nodes: list[Node] = field(default_factory=list)
    zookeeper_port: int = field(default_factory=free_port)
    zookeeper: subprocess.Popen[bytes] | None = None
    name: str = CLUSTER

    def start(self) -> None:
        jars = zookeeper_jars()
        try:
            command = server_command(None, default_search_path())
        except StackError as exc:
            raise ClusterStartError(str(exc)) from exc
        self._start_zookeeper(jars)
        self.nodes = [
            Node(shard, replica, self.home / f"node-{shard}-{replica}")
            for shard in range(1, SHARDS + 1)
            for replica in range(1, REPLICAS + 1)
        ]
        for node in self.nodes:
            self._start_node(node, command)
        for node in self.nodes:
            self._wait_for_node(node)

    def stop(self) -> None:
        for process in [node.process for node in self.nodes] + [self.zookeeper]:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in [node.process for node in self.nodes] + [self.zookeeper]:
            if process is None:
                continue
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def shard_nodes(self, shard: int) -> list[Node]:
        return [node for node in self.nodes if node.shard == shard]

    def _start_zookeeper(self, jars: Path) -> None:
        folder = self.home / "zookeeper"
        (folder / "data").mkdir(parents=True)
        config = folder / "zoo.cfg"
        config.write_text(
            "tickTime=500\n"
            f"dataDir={folder / 'data'}\n"
            f"clientPort={self.zookeeper_port}\n"
            "clientPortAddress=127.0.0.1\n"
            "admin.enableServer=false\n"
            "4lw.commands.whitelist=srvr\n"
        )
        log = (folder / "zookeeper.log").open("wb")
        self.zookeeper = subprocess.Popen(
            ["java", "-Xmx256m", f"-Dlogback.configurationFile={ZOOKEEPER_LOGBACK}", "-cp", f"{jars}/*",
             "org.apache.zookeeper.server.ZooKeeperServerMain", str(config)],
            stdout=log, stderr=subprocess.STDOUT, cwd=folder,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.zookeeper.poll() is not None:
                raise ClusterStartError(f"ZooKeeper exited with {self.zookeeper.returncode}: see {log.name}")
            if _serving(self.zookeeper_port):
                return
            time.sleep(0.2)
        raise ClusterStartError(
            f"ZooKeeper did not answer on {self.zookeeper_port} within 60 s: see {log.name}"
        )

    def _shards_xml(self) -> str:
        shards = []
        for shard in range(1, SHARDS + 1):
            replicas = "".join(
                f"<replica><host>127.0.0.1</host><port>{node.tcp_port}</port></replica>"
                for node in self.shard_nodes(shard)
            )
            shards.append(
                f"            <shard><internal_replication>true</internal_replication>{replicas}</shard>"
            )
        return "\n".join(shards)

    def _start_node(self, node: Node, command: list[str]) -> None:
        for folder in ("data", "tmp", "user_files", "format_schemas"):
            (node.home / folder).mkdir(parents=True)
        values = {
            "home": str(node.home),
            "tcp_port": str(node.tcp_port),
            "http_port": str(node.http_port),
            "interserver_port": str(node.interserver_port),
            "cluster": self.name,
            "shards": self._shards_xml(),
            "zookeeper_port": str(self.zookeeper_port),
            # Replica names repeat across shards, as in most real configs: the ledger's replica name adds
            # the shard (pipeline/storage/cluster.py, LEDGER_REPLICA).
            "shard": f"{node.shard:02d}",
            "replica": f"r{node.replica}",
        }
        config = node.home / "config.xml"
        config.write_text(Template((TEMPLATES / "config.xml").read_text()).substitute(values))
        (node.home / "users.xml").write_text((TEMPLATES / "users.xml").read_text())
        out = (node.home / "clickhouse.out").open("wb")
        node.process = subprocess.Popen(
            [*command, f"--config-file={config}"], stdout=out, stderr=subprocess.STDOUT, cwd=node.home
        )

    def _wait_for_node(self, node: Node) -> None:
        assert node.process is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if node.process.poll() is not None:
                raise ClusterStartError(
                    f"clickhouse-server ({node.name}) exited with {node.process.returncode}: "
                    f"see {node.home / 'clickhouse-server.err.log'}"
                )
            try:
                client = node.client()
                client.execute("SELECT 1")
                client.disconnect()
                return
            except Exception:
                time.sleep(0.3)
        raise ClusterStartError(
            f"clickhouse-server ({node.name}) did not answer within 60 s: see {node.home}"
        )


def _serving(port: int) -> bool:
    """ZooKeeper serves requests: ``srvr`` names its mode. (``ruok`` says imok before the server runs, and
    an 18.16 node whose first session failed that way crashes on its next ZooKeeper call.)"""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"srvr")
            answer = b""
            while chunk := sock.recv(4096):
                answer += chunk
            return b"Mode: standalone" in answer
    except OSError:
        return False
