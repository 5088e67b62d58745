"""The one place a clickhouse-driver ``Client`` is built from settings."""

from __future__ import annotations

from typing import Any

from clickhouse_driver import Client

from pipeline.settings import ClickHouseSettings


def clickhouse_client(settings: ClickHouseSettings, database: str | None = None, **kwargs: Any) -> Client:
    """A client for ``database`` (default: the configured one); pass ``database=''`` for no database."""
    return Client(
        host=settings.host,
        port=settings.port,
        user=settings.user,
        password=settings.password.get_secret_value(),
        database=settings.database if database is None else database,
        connect_timeout=settings.connect_timeout_s,
        send_receive_timeout=60,
        **kwargs,
    )
