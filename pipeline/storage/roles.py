"""``deploy/clickhouse/roles.sql`` rendered for the configured users: SQL access control (20.5 and later).

Passwords go in as SHA-256 (``IDENTIFIED WITH sha256_hash``), never in clear; an empty one is refused,
since a server with SQL access control is usually not the loopback-only local stack.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from string import Template

import pipeline
from pipeline.errors import WarmcityError
from pipeline.settings import ClickHouseSettings

ROLES_SQL = Path(pipeline.__file__).resolve().parent.parent / "deploy" / "clickhouse" / "roles.sql"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class RolesError(WarmcityError):
    """A setting that cannot go into roles.sql as it is."""


def roles_sql(settings: ClickHouseSettings, template: Path = ROLES_SQL) -> str:
    """The statements that create the writer and analyst users, their roles, grants and profile."""
    names = {
        "WARMCITY_CLICKHOUSE_DATABASE": settings.database,
        "WARMCITY_CLICKHOUSE_WRITER_USER": settings.writer_user,
        "WARMCITY_CLICKHOUSE_ANALYST_USER": settings.analyst_user,
    }
    for env, name in names.items():
        if not _IDENTIFIER.match(name):
            raise RolesError(f"{env}={name!r} is not a plain SQL identifier (letters, digits, underscore)")
    if settings.writer_user == settings.analyst_user:
        raise RolesError(
            f"the writer and the analyst are both {settings.writer_user!r}: give each its own name"
        )
    digests = {}
    for env, secret in {
        "WARMCITY_CLICKHOUSE_WRITER_PASSWORD": settings.writer_password.get_secret_value(),
        "WARMCITY_CLICKHOUSE_ANALYST_PASSWORD": settings.analyst_password.get_secret_value(),
    }.items():
        if not secret:
            raise RolesError(f"{env} is empty: set a password for a server with SQL access control")
        digests[env] = hashlib.sha256(secret.encode()).hexdigest()
    return Template(template.read_text(encoding="utf-8")).substitute(
        database=settings.database,
        writer_user=settings.writer_user,
        writer_password_sha256=digests["WARMCITY_CLICKHOUSE_WRITER_PASSWORD"],
        analyst_user=settings.analyst_user,
        analyst_password_sha256=digests["WARMCITY_CLICKHOUSE_ANALYST_PASSWORD"],
        analyst_max_memory_usage=settings.analyst_max_memory_usage,
        analyst_max_execution_time_s=settings.analyst_max_execution_time_s,
        analyst_max_rows_to_read=settings.analyst_max_rows_to_read,
    )
