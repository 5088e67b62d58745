"""The ClickHouse server of the local stack: Debian's ``clickhouse-server`` 18.16 or a current ``clickhouse``.

Layout under ``<run_dir>/clickhouse/``: ``config.xml``, ``users.xml`` and ``users.d/warmcity.xml`` (the
writer and analyst users; all three rendered from ``deploy/local/clickhouse`` on every start), ``data/``,
``tmp/``, ``user_files/``, ``format_schemas/``, ``clickhouse-server.log`` and ``.err.log`` (the server's
own), ``clickhouse.out`` (its stdout/stderr).

The server runs as whoever runs ``stack up``, root included: 18.16 does not object to root, and current
releases object only when the data folder belongs to another user, which cannot happen here because the
stack creates that folder itself. Debian's system service (``/var/lib/clickhouse``, ports 9000/8123) is
neither used nor touched.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

from clickhouse_driver import Client

from pipeline.settings import ClickHouseSettings, Settings
from pipeline.stack.model import Progress, StackError
from pipeline.stack.service import LocalService, require_loopback
from pipeline.stack.templates import DEPLOY_DIR, render, xml_values

NOT_FOUND = (
    "ClickHouse not found: install Debian's clickhouse-server (make setup, or deploy/local/setup.sh) "
    "or put a clickhouse binary on PATH (or set WARMCITY_STACK_CLICKHOUSE_BINARY)"
)
_USER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")


def default_search_path() -> str:
    # Debian installs the server in /usr/sbin, which is not on a normal user's PATH.
    return os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"])


def server_command(configured: str | None, search_path: str) -> list[str]:
    """The command that runs a server: ``[clickhouse-server]`` or the all-in-one ``[clickhouse, server]``."""
    if configured:
        binary = shutil.which(configured, path=search_path)
        if binary is None:
            raise StackError(f"WARMCITY_STACK_CLICKHOUSE_BINARY={configured} is not an executable file")
    else:
        binary = shutil.which("clickhouse-server", path=search_path) or shutil.which(
            "clickhouse", path=search_path
        )
        if binary is None:
            raise StackError(NOT_FOUND)
    return [binary] if Path(binary).name.startswith("clickhouse-server") else [binary, "server"]


def users_xml(user: str, password: str) -> str:
    """The ``<users>`` entries: ``default`` without a password, plus the configured user, loopback only."""
    users = {"default": ""}
    users[user] = password
    return "\n".join(
        _user_entry(name, secret, "default", "WARMCITY_CLICKHOUSE_USER") for name, secret in users.items()
    )


def pipeline_users_values(settings: ClickHouseSettings) -> dict[str, str]:
    """Values of ``users.d/warmcity.xml``: the writer and the analyst, each with its profile, loopback only.

    They must differ from each other, from ``default`` and from the admin user (one name, one profile).
    """
    writer, analyst = settings.writer_password, settings.analyst_password
    roles = {
        "WARMCITY_CLICKHOUSE_WRITER_USER": (settings.writer_user, writer, "warmcity_writer"),
        "WARMCITY_CLICKHOUSE_ANALYST_USER": (settings.analyst_user, analyst, "warmcity_analyst"),
    }
    taken = {settings.user: "WARMCITY_CLICKHOUSE_USER", "default": "the built-in user"}
    entries = []
    for env, (name, secret, profile) in roles.items():
        if name in taken:
            raise StackError(
                f"{env}={name!r} is already {taken[name]}: give each ClickHouse user its own name"
            )
        taken[name] = env
        entries.append(_user_entry(name, secret.get_secret_value(), profile, env))
    return {
        "users": "\n".join(entries),
        "analyst_max_memory_usage": str(settings.analyst_max_memory_usage),
        "analyst_max_execution_time_s": str(settings.analyst_max_execution_time_s),
        "analyst_max_rows_to_read": str(settings.analyst_max_rows_to_read),
    }


def _user_entry(name: str, secret: str, profile: str, env: str) -> str:
    if not _USER.match(name):
        raise StackError(f"{env}={name!r} cannot be a users.xml user name")
    digest = hashlib.sha256(secret.encode()).hexdigest()
    credential = f"<password_sha256_hex>{digest}</password_sha256_hex>" if secret else "<password/>"
    return (
        f"        <{name}>\n            {credential}\n"
        "            <networks><ip>::1</ip><ip>127.0.0.1</ip></networks>\n"
        f"            <profile>{profile}</profile>\n            <quota>default</quota>\n        </{name}>"
    )


def clickhouse_probe(settings: ClickHouseSettings, timeout_s: float) -> None:
    """Raise unless the server runs ``SELECT 1`` over the native protocol with the configured user."""
    client = Client(
        settings.host,
        settings.port,
        user=settings.user,
        password=settings.password.get_secret_value(),
        connect_timeout=timeout_s,
        send_receive_timeout=timeout_s,
        sync_request_timeout=timeout_s,
    )
    with _driver_quiet():
        try:
            client.execute("SELECT 1")
        finally:
            client.disconnect()


@contextlib.contextmanager
def _driver_quiet() -> Iterator[None]:
    """Drop clickhouse-driver's "Failed to connect" warnings (with traceback) raised by this thread only.

    Waiting for a server means failing to connect until it is up; the failure is reported by the caller.
    """
    thread = threading.get_ident()

    def other_threads(record: logging.LogRecord) -> bool:
        return record.thread != thread

    # Filters of a logger see only records logged on it, and the driver logs these on this one.
    logger = logging.getLogger("clickhouse_driver.connection")
    logger.addFilter(other_threads)
    try:
        yield
    finally:
        logger.removeFilter(other_threads)


class ClickHouseServer(LocalService):
    name = "clickhouse"
    display_name = "ClickHouse"

    def __init__(self, settings: Settings, run_dir: Path, progress: Progress) -> None:
        self.settings = settings
        super().__init__(
            run_dir,
            settings.clickhouse.host,
            settings.clickhouse.port,
            settings.stack.ready_timeout_s,
            progress,
        )

    @property
    def config_path(self) -> Path:
        return self.home / "config.xml"

    @property
    def log(self) -> Path:
        return self.home / "clickhouse-server.log"

    def diagnosis_logs(self) -> list[Path]:
        return [self.home / "clickhouse-server.err.log", self.output]

    def ports(self) -> list[tuple[int, str]]:
        return [
            (self.port, "WARMCITY_CLICKHOUSE_PORT"),
            (self.settings.stack.clickhouse_http_port, "WARMCITY_STACK_CLICKHOUSE_HTTP_PORT"),
        ]

    def validate(self) -> None:
        require_loopback(self.host, "WARMCITY_CLICKHOUSE_HOST")
        if self.settings.stack.clickhouse_http_port == self.port:
            raise StackError("the ClickHouse HTTP port must differ from its native port")

    def prepare(self) -> list[str]:
        command = server_command(self.settings.stack.clickhouse_binary, default_search_path())
        folders = {
            "data_dir": self.home / "data",
            "tmp_dir": self.home / "tmp",
            "user_files_dir": self.home / "user_files",
            "format_schema_dir": self.home / "format_schemas",
        }
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        values = {key: str(folder) for key, folder in folders.items()} | {
            "log": str(self.log),
            "errorlog": str(self.home / "clickhouse-server.err.log"),
            "tcp_port": str(self.port),
            "http_port": str(self.settings.stack.clickhouse_http_port),
        }
        render(DEPLOY_DIR / "clickhouse" / "config.xml", self.config_path, xml_values(values))
        clickhouse = self.settings.clickhouse
        users = users_xml(clickhouse.user, clickhouse.password.get_secret_value())
        render(DEPLOY_DIR / "clickhouse" / "users.xml", self.home / "users.xml", {"users": users})
        # The server merges every file of users.d/ into users.xml: the writer and the analyst live there.
        render(
            DEPLOY_DIR / "clickhouse" / "users.d" / "warmcity.xml",
            self.home / "users.d" / "warmcity.xml",
            pipeline_users_values(clickhouse),
        )
        self.progress(f"clickhouse: using {command[0]}")
        return [*command, f"--config-file={self.config_path}"]

    def probe(self, timeout_s: float) -> None:
        clickhouse_probe(self.settings.clickhouse, timeout_s)
