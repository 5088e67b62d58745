"""Fixtures of the integration tests: the real test stack, a topic prefix and a ClickHouse database per test.

The test stack is separate from the development one (``.run/test-stack``, ports 29092/29093, 29000/28123),
so a developer's ``warmcity stack up`` and a test run never share data. It is started once per session and
stopped at the end by the session that started it (or, when sessions overlap, by the last one to finish),
unless it was already running (then it is left as found) or ``WARMCITY_TEST_KEEP_STACK=1`` asks to keep
it for the next run. Every test here is marked ``integration``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from clickhouse_driver import Client
from confluent_kafka.admin import AdminClient

from pipeline.settings import ClickHouseSettings, KafkaSettings, PipelineSettings, Settings, StackSettings
from pipeline.stack import LocalStack
from tests.integration.cluster import ClusterStartError, LocalCluster

REPO_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # This hook sees the whole session's items: mark only the ones collected from this folder.
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.integration)


def make_stack_settings() -> Settings:
    """Settings of the test stack; fields that choose where and what it runs are set here, not from env."""
    return Settings(
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:29092", topic_prefix="it"),
        clickhouse=ClickHouseSettings(host="127.0.0.1", port=29000),
        pipeline=PipelineSettings(),
        stack=StackSettings(
            run_dir=REPO_ROOT / ".run" / "test-stack",
            kafka="local",
            kafka_controller_port=29093,
            clickhouse="local",
            clickhouse_http_port=28123,
        ),
    )


class SessionLeases:
    """Which live pytest sessions use the test stack, so the last one out stops it, not the first.

    Developers and CI may run several sessions at once on one checkout. A session registers a lease;
    components started by a session that does not keep the stack are recorded in ``owned``; when the last
    lease is released, the owned components are stopped. A stack found running and not owned (a kept
    one, or a developer's) is left alone.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.owned = folder / "owned"
        self.lease = folder / f"session-{os.getpid()}"

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def others_alive(self) -> bool:
        alive = False
        for lease in self.folder.glob("session-*"):
            try:
                os.kill(int(lease.name.removeprefix("session-")), 0)
                alive = True
            except (ProcessLookupError, ValueError):
                lease.unlink(missing_ok=True)  # a session that died without cleaning up
            except PermissionError:
                alive = True
        return alive

    def read_owned(self) -> set[str]:
        return set(self.owned.read_text().split()) if self.owned.exists() else set()

    def add_owned(self, names: list[str]) -> None:
        self.owned.write_text(" ".join(sorted(self.read_owned() | set(names))))

    def release(self, stack: LocalStack, keep: bool) -> None:
        self.lease.unlink(missing_ok=True)
        if self.others_alive():
            return
        owned = self.read_owned()
        self.owned.unlink(missing_ok=True)
        if owned and not keep:
            stack.down(owned)


@pytest.fixture(scope="session")
def stack_settings() -> Iterator[Settings]:
    settings = make_stack_settings()
    stack = LocalStack(settings)
    leases = SessionLeases(settings.stack.run_dir.with_name("test-stack-sessions"))
    keep = os.environ.get("WARMCITY_TEST_KEEP_STACK") == "1"
    with leases.exclusive():
        leases.lease.touch()
        try:
            stack.up()
        except BaseException:
            # What did start (ClickHouse, when only Kafka failed) must not outlive a failed session.
            leases.add_owned(stack.started)
            leases.release(stack, keep=False)
            raise
        if not keep:
            leases.add_owned(stack.started)
    yield settings
    with leases.exclusive():
        leases.release(stack, keep)


@pytest.fixture
def unique_prefix(stack_settings: Settings) -> Iterator[str]:
    """A topic (and consumer group) prefix no other test uses; its topics are deleted afterwards."""
    prefix = f"it-{uuid.uuid4().hex[:8]}"
    yield prefix
    admin = AdminClient({"bootstrap.servers": stack_settings.kafka.bootstrap_servers})
    topics = [name for name in admin.list_topics(timeout=10).topics if name.startswith(prefix)]
    if topics:
        for future in admin.delete_topics(topics, operation_timeout=30).values():
            future.result()


@pytest.fixture
def unique_database(stack_settings: Settings) -> Iterator[str]:
    """A fresh, empty ClickHouse database for one test, dropped afterwards."""
    name = f"it_{uuid.uuid4().hex[:8]}"
    ch = stack_settings.clickhouse
    client = Client(ch.host, ch.port, user=ch.user, password=ch.password.get_secret_value())
    client.execute(f"CREATE DATABASE `{name}`")
    try:
        yield name
    finally:
        client.execute(f"DROP DATABASE IF EXISTS `{name}`")
        client.disconnect()


@pytest.fixture(scope="session")
def clickhouse_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """ZooKeeper and a 2 x 2 ClickHouse cluster on free ports (tests/integration/cluster.py), stopped after.

    Independent of the test stack. Fails, never skips, when ZooKeeper's jars (``make tools``) or
    clickhouse-server (``make setup``) are missing.
    """
    cluster = LocalCluster(tmp_path_factory.mktemp("clickhouse-cluster"))
    try:
        cluster.start()
    except ClusterStartError as exc:
        cluster.stop()
        pytest.fail(str(exc), pytrace=False)
    except BaseException:
        cluster.stop()
        raise
    yield cluster
    cluster.stop()
