"""The writer and analyst users on the test stack's real 18.16 (users.d/warmcity.xml): what each may do.

The writer inserts, also through the materialized views, and can neither change schemas nor read tables;
the analyst reads and cannot write, within limits that fail with their own error codes. One test records
what 18.16 does not enforce (settings sent with a query lift a writer's limits), so the docs stay true.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from clickhouse_driver import Client
from clickhouse_driver.errors import ServerException

from pipeline.settings import Settings
from pipeline.stages.rows import PLATE_READ_COLUMNS
from pipeline.storage.client import Role, clickhouse_client
from pipeline.storage.migrate import migrate
from tests.unit import analyst_dataset as data
from tests.unit import rule_factories as f

pytestmark = pytest.mark.integration

DDL_PROHIBITED = 392  # QUERY_IS_PROHIBITED: "DDL queries are prohibited for the user"
READONLY = 164
TOO_MANY_ROWS = 158
TIMEOUT_EXCEEDED = 159
MEMORY_LIMIT_EXCEEDED = 241
UNKNOWN_USER = 192
INSERT = f"INSERT INTO plate_reads ({', '.join(PLATE_READ_COLUMNS)}) VALUES"


@pytest.fixture
def settings(stack_settings: Settings, unique_database: str) -> Settings:
    migrate(stack_settings.clickhouse, unique_database)
    ch = stack_settings.clickhouse.model_copy(update={"database": unique_database})
    return replace(stack_settings, clickhouse=ch)


@pytest.fixture
def connect(settings: Settings) -> Iterator[Callable[[Role], Client]]:
    opened: list[Client] = []

    def login(role: Role) -> Client:
        client = clickhouse_client(settings.clickhouse, as_user=role)
        try:
            client.execute("SELECT 1")
        except ServerException as exc:
            if exc.code == UNKNOWN_USER:
                pytest.fail(
                    f"the test stack has no {role} user: it was started before users.d/warmcity.xml existed; "
                    "stop it (WARMCITY_STACK_RUN_DIR=.run/test-stack ... warmcity stack down) and run again"
                )
            raise
        opened.append(client)
        return client

    yield login
    for client in opened:
        client.disconnect()


def code_of(call: Callable[[], object]) -> int:
    with pytest.raises(ServerException) as caught:
        call()
    return int(caught.value.code)


def rows(client: Client, query: str) -> list[tuple[str, ...]]:
    return [tuple(str(value) for value in row) for row in client.execute(query)]


def test_the_writer_inserts_and_the_views_count_each_event_once(connect: Callable[[Role], Client]) -> None:
    writer, admin = connect("writer"), connect("admin")
    for table, events in [
        ("plate_reads", data.PLATE_READS),
        ("device_events", data.DEVICE_EVENTS),
        ("plate_reads", data.REPLAYED_PLATE_READS),
        ("device_events", data.REPLAYED_DEVICE_EVENTS),
    ]:
        columns, to_rows = data.INSERTS[table]
        writer.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES", to_rows(events))
    for view, (query, expected) in data.EXPECTED.items():
        assert rows(admin, query) == expected, view


def test_a_sink_sized_batch_goes_through_the_views_as_the_writer(connect: Callable[[Role], Client]) -> None:
    writer, admin = connect("writer"), connect("admin")
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    batch = [
        f.plate_read(f"蒙K{i % 700:05d}", start + timedelta(seconds=i % 3600), f"KK-{i % 25:04d}")
        for i in range(20_000)
    ]
    assert writer.execute(INSERT, data.plate_rows(batch)) == 20_000
    assert rows(admin, "SELECT toString(sum(reads)), toString(count()) FROM checkpoint_hourly_totals") == [
        ("20000", "25")
    ]
    assert rows(admin, "SELECT toString(count()) FROM plate_reads_by_plate_dedup") == [("20000",)]


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE scratch (x String) ENGINE = Log",
        "DROP TABLE plate_reads_dedup",
        "ALTER TABLE plate_reads DROP PARTITION ID '20260101'",
        "TRUNCATE TABLE alerts",
        "OPTIMIZE TABLE alerts",
        "RENAME TABLE alerts TO alerts_gone",
        "SET allow_ddl = 1",
    ],
)
def test_the_writer_cannot_change_schemas(connect: Callable[[Role], Client], statement: str) -> None:
    writer, admin = connect("writer"), connect("admin")
    tables = admin.execute("SHOW TABLES")
    assert code_of(lambda: writer.execute(statement)) == DDL_PROHIBITED
    assert admin.execute("SHOW TABLES") == tables


def test_on_18_16_the_writer_can_read(connect: Callable[[Role], Client]) -> None:
    # 18.16 has no grants: a user that may INSERT may SELECT (written in users.d/warmcity.xml). When this
    # fails, the server keeps the writer from reading: update the docs.
    writer, admin = connect("writer"), connect("admin")
    if not str(admin.execute("SELECT version()")[0][0]).startswith("18."):
        pytest.skip("a statement about 18.16")
    writer.execute(INSERT, data.plate_rows(data.PLATE_READS))
    assert writer.execute("SELECT count() FROM plate_reads_dedup") == [(4,)]


def test_on_18_16_settings_sent_with_a_query_lift_the_writer_limits(
    connect: Callable[[Role], Client],
) -> None:
    # Measured, and written in users.d/warmcity.xml and docs/stack.md: 18.16 does not check settings sent
    # with a query for a user that is not readonly. When this fails, a server enforces them: update the docs.
    writer, admin = connect("writer"), connect("admin")
    if not str(admin.execute("SELECT version()")[0][0]).startswith("18."):
        pytest.skip("a statement about 18.16")
    writer.execute("CREATE TABLE lifted (x String) ENGINE = Log", settings={"allow_ddl": 1})
    assert ("lifted",) in admin.execute("SHOW TABLES")


def test_the_analyst_reads_and_cannot_write(connect: Callable[[Role], Client]) -> None:
    admin, analyst = connect("admin"), connect("analyst")
    admin.execute(INSERT, data.plate_rows(data.PLATE_READS))
    query, expected = data.EXPECTED["plate_reads_by_plate_dedup"]
    assert rows(analyst, query) == expected
    one = data.plate_rows(data.PLATE_READS[:1])
    assert code_of(lambda: analyst.execute(INSERT, one)) == READONLY
    assert code_of(lambda: analyst.execute(INSERT, one, settings={"readonly": 0})) == READONLY
    assert code_of(lambda: analyst.execute("CREATE TABLE scratch (x String) ENGINE = Log")) == READONLY
    assert code_of(lambda: analyst.execute("DROP TABLE plate_reads_dedup")) == READONLY
    assert code_of(lambda: analyst.execute("SET max_rows_to_read = 0")) == READONLY
    assert code_of(lambda: analyst.execute("SELECT count() FROM numbers(10)")) == READONLY  # table functions
    assert rows(admin, "SELECT toString(count()) FROM plate_reads") == [("4",)]


def test_the_analyst_limits_are_in_force(settings: Settings, connect: Callable[[Role], Client]) -> None:
    analyst = connect("analyst")
    ch = settings.clickhouse
    changed = dict(analyst.execute("SELECT name, value FROM system.settings WHERE changed"))
    assert changed["readonly"] == "1"
    assert changed["max_memory_usage"] == str(ch.analyst_max_memory_usage)
    assert changed["max_execution_time"] == str(ch.analyst_max_execution_time_s)
    assert changed["max_rows_to_read"] == str(ch.analyst_max_rows_to_read)
    too_many = (
        f"SELECT count() FROM (SELECT number FROM system.numbers LIMIT {ch.analyst_max_rows_to_read + 1})"
    )
    assert code_of(lambda: analyst.execute(too_many)) == TOO_MANY_ROWS
    # Settings sent with the query do not lift a readonly user's limits.
    assert code_of(lambda: analyst.execute(too_many, settings={"max_rows_to_read": 0})) == TOO_MANY_ROWS
    # 900k rows x 3,000: the ARRAY JOIN asks for more memory than a query may have.
    greedy = (
        "SELECT count() FROM (SELECT number FROM system.numbers LIMIT 900000) ARRAY JOIN range(3000) AS x"
    )
    assert code_of(lambda: analyst.execute(greedy)) == MEMORY_LIMIT_EXCEEDED


def test_the_analyst_query_time_is_limited(settings: Settings, connect: Callable[[Role], Client]) -> None:
    # sleep(3) per block of system.numbers: reads few rows and little memory, and runs until stopped.
    limit = settings.clickhouse.analyst_max_execution_time_s
    analyst = clickhouse_client(settings.clickhouse, as_user="analyst", send_receive_timeout=limit + 60)
    started = time.monotonic()
    try:
        assert (
            code_of(lambda: analyst.execute("SELECT count() FROM (SELECT sleep(3) FROM system.numbers)"))
            == TIMEOUT_EXCEEDED
        )
    finally:
        analyst.disconnect()
    assert limit <= time.monotonic() - started < limit + 10
