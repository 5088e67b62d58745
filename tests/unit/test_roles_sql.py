"""deploy/clickhouse/roles.sql: rendered for the settings, and every statement parsed by ClickHouse 26.9.

chDB cannot run CREATE USER / ROLE / GRANT (its embedded server has no writable access storage:
ACCESS_STORAGE_FOR_INSERTION_NOT_FOUND, even with access_management), so the statements are checked
with EXPLAIN AST: parsed by the current grammar, not executed.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from pipeline.settings import ClickHouseSettings
from pipeline.storage.migrate import Migration
from pipeline.storage.roles import RolesError, roles_sql

chdb_session = pytest.importorskip("chdb.session")

SETTINGS = ClickHouseSettings(
    database="warmcity",
    writer_password=SecretStr("writer-secret"),
    analyst_password=SecretStr("analyst-secret"),
    analyst_max_rows_to_read=1234,
)


def statements(sql: str) -> list[str]:
    return Migration(0, "roles", sql).statements()


@pytest.fixture(scope="module")
def chdb() -> Iterator[object]:
    with tempfile.TemporaryDirectory(prefix="chdb-") as folder:
        session = chdb_session.Session(folder)
        yield session
        session.close()


def test_rendered_with_names_hashes_and_limits() -> None:
    sql = roles_sql(SETTINGS)
    assert "${" not in sql
    assert "writer-secret" not in sql and "analyst-secret" not in sql
    assert hashlib.sha256(b"writer-secret").hexdigest() in sql
    assert hashlib.sha256(b"analyst-secret").hexdigest() in sql
    assert "GRANT INSERT ON warmcity.* TO warmcity_writer_role" in statements(sql)
    assert "GRANT SELECT ON warmcity.* TO warmcity_analyst_role" in statements(sql)
    assert "max_rows_to_read = 1234 READONLY" in sql
    assert "max_execution_time = 60 READONLY" in sql
    # The writer gets no SELECT and the analyst no INSERT.
    assert not any("SELECT" in s and "warmcity_writer" in s for s in statements(sql) if s.startswith("GRANT"))
    assert not any("INSERT" in s and "analyst" in s for s in statements(sql))


def test_every_statement_parses_on_26(chdb: object) -> None:
    kinds = []
    for statement in statements(roles_sql(SETTINGS)):
        ast = chdb.query(f"EXPLAIN AST {statement}", "TSV").bytes().decode()  # type: ignore[attr-defined]
        kinds.append(ast.split()[0])
    assert kinds == [
        "CreateRoleQuery",
        "GrantQuery",
        "CreateUserQuery",
        "GrantQuery",
        "CreateUserQuery",  # ALTER USER parses into the same AST
        "CreateSettingsProfileQuery",
        "CreateRoleQuery",
        "GrantQuery",
        "CreateUserQuery",
        "GrantQuery",
        "CreateUserQuery",
    ]


def test_the_parse_check_can_fail(chdb: object) -> None:
    with pytest.raises(RuntimeError, match="Syntax error"):
        chdb.query("EXPLAIN AST CREATE USER u IDENTIFIED BOGUS 'x'")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"writer_password": SecretStr("")}, "WARMCITY_CLICKHOUSE_WRITER_PASSWORD is empty"),
        ({"analyst_password": SecretStr("")}, "WARMCITY_CLICKHOUSE_ANALYST_PASSWORD is empty"),
        ({"writer_user": "sink; DROP"}, "WARMCITY_CLICKHOUSE_WRITER_USER='sink; DROP' is not a plain SQL"),
        ({"analyst_user": "a-b"}, "WARMCITY_CLICKHOUSE_ANALYST_USER='a-b' is not a plain SQL"),
        ({"analyst_user": "warmcity_writer"}, "the writer and the analyst are both 'warmcity_writer'"),
    ],
)
def test_settings_that_cannot_be_rendered_are_named(changes: dict[str, object], message: str) -> None:
    with pytest.raises(RolesError, match=message.replace("*", r"\*")):
        roles_sql(SETTINGS.model_copy(update=changes))
