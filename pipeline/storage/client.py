"""The one place a clickhouse-driver ``Client`` is built from settings, as one of the project's users.

``admin`` is ``WARMCITY_CLICKHOUSE_USER`` (migrations, pruning, tests); ``writer`` inserts and may not
change schemas (the sink); ``analyst`` reads, within limits. What each may do is set on the server: the
local stack's ``users.d/warmcity.xml`` (18.16) or ``deploy/clickhouse/roles.sql`` (servers with SQL
access control). See docs/stack.md.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from clickhouse_driver import Client

from pipeline.settings import ClickHouseSettings

Role = Literal["admin", "writer", "analyst"]
ROLES: tuple[Role, ...] = get_args(Role)


def credentials(settings: ClickHouseSettings, as_user: Role) -> tuple[str, str]:
    """The user name and password of ``as_user``."""
    if as_user == "admin":
        return settings.user, settings.password.get_secret_value()
    if as_user == "writer":
        return settings.writer_user, settings.writer_password.get_secret_value()
    if as_user == "analyst":
        return settings.analyst_user, settings.analyst_password.get_secret_value()
    raise ValueError(f"as_user={as_user!r} is not one of {', '.join(ROLES)}")


def clickhouse_client(
    settings: ClickHouseSettings, database: str | None = None, as_user: Role = "admin", **kwargs: Any
) -> Client:
    """A client for ``database`` (default: the configured one; ``''`` for none), logged in as ``as_user``.

    ``kwargs`` go to clickhouse-driver's ``Client`` and may replace the timeouts set here.
    """
    user, password = credentials(settings, as_user)
    options: dict[str, Any] = {"connect_timeout": settings.connect_timeout_s, "send_receive_timeout": 60}
    return Client(
        host=settings.host,
        port=settings.port,
        user=user,
        password=password,
        database=settings.database if database is None else database,
        **(options | kwargs),
    )
