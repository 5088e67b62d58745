"""The session's test stack is up and its real services answer: Kafka metadata, ClickHouse SELECT 1."""

from __future__ import annotations

from clickhouse_driver import Client
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from pipeline.settings import Settings
from pipeline.stack import LocalStack


def test_status_shows_both_running_with_their_logs(stack_settings: Settings) -> None:
    statuses = LocalStack(stack_settings).status()
    assert [(s.name, s.state, s.address) for s in statuses] == [
        ("kafka", "running", "127.0.0.1:29092"),
        ("clickhouse", "running", "127.0.0.1:29000"),
    ]
    for status in statuses:
        assert status.pid is not None
        assert status.log is not None
        assert status.log.is_relative_to(stack_settings.stack.run_dir)
        assert status.log.exists()


def test_up_again_leaves_the_running_stack_as_it_is(stack_settings: Settings) -> None:
    stack = LocalStack(stack_settings)
    before = [s.pid for s in stack.status()]
    assert [(s.state, s.pid) for s in stack.up()] == [("running", pid) for pid in before]


def test_kafka_answers_and_does_not_auto_create_topics(stack_settings: Settings, unique_prefix: str) -> None:
    admin = AdminClient({"bootstrap.servers": stack_settings.kafka.bootstrap_servers})
    topic = f"{unique_prefix}.stack-check"
    for future in admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)]).values():
        future.result()
    metadata = admin.list_topics(timeout=10)
    assert len(metadata.topics[topic].partitions) == 2
    assert len(metadata.brokers) == 1
    # With auto-creation off, asking for an unknown topic's metadata must not create it.
    admin.list_topics(topic=f"{unique_prefix}.never-created", timeout=10)
    assert f"{unique_prefix}.never-created" not in admin.list_topics(timeout=10).topics


def test_clickhouse_answers_in_utc(stack_settings: Settings, unique_database: str) -> None:
    ch = stack_settings.clickhouse
    client = Client(ch.host, ch.port, database=unique_database)
    try:
        assert client.execute("SELECT 1") == [(1,)]
        assert client.execute("SELECT timezone()")[0][0] in ("UTC", "Etc/UTC")
    finally:
        client.disconnect()
