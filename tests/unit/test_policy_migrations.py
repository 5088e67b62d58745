from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.sink.policy import RetryPolicy
from pipeline.storage.migrate import Migration, MigrationError, load_migrations


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(first_wait_s=0.5, factor=2, max_wait_s=4)
    assert [policy.wait_before(n) for n in range(1, 7)] == [0.5, 1, 2, 4, 4, 4]


def test_project_migrations_are_ordered_and_split_into_statements() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == sorted(m.version for m in migrations)
    assert migrations[0].version == 1
    for migration in migrations:
        statements = migration.statements()
        assert statements, migration.name
        assert all(not s.endswith(";") and not s.startswith("--") for s in statements)


def test_statements_ignore_comments_and_semicolons_inside_lines() -> None:
    sql = (
        "-- a comment; with a semicolon\nCREATE TABLE a (x String DEFAULT ';')\nENGINE = Log;\n\nSELECT 1;\n"
    )
    assert Migration(1, "x", sql).statements() == [
        "CREATE TABLE a (x String DEFAULT ';')\nENGINE = Log",
        "SELECT 1",
    ]


@pytest.mark.parametrize("name", ["1_short.sql", "0001-dash.sql", "0001_Upper.sql"])
def test_badly_named_migration_is_refused(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"NNNN_name\.sql"):
        load_migrations(tmp_path)


def test_duplicate_versions_are_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0001_b.sql").write_text("SELECT 2;")
    with pytest.raises(MigrationError, match="share a version"):
        load_migrations(tmp_path)
