"""``LocalStack``: the one entry point that starts, checks and stops Kafka and ClickHouse together.

Each component is local (started by us, tracked by a pid file in the run directory) or external (only
checked), as ``settings.stack`` says. ``up`` starts them one after the other and returns when all answer;
``down`` stops only what a pid file says we started. Both hold a lock on the run directory.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Collection, Iterator
from typing import Protocol

from pipeline.settings import Settings
from pipeline.stack.clickhouse import ClickHouseServer, clickhouse_probe
from pipeline.stack.kafka import KafkaBroker, kafka_probe
from pipeline.stack.model import ComponentName, ComponentStatus, Progress, StackError
from pipeline.stack.service import ExternalService

_log = logging.getLogger(__name__)


class Component(Protocol):
    @property
    def name(self) -> ComponentName: ...

    def status(self) -> ComponentStatus: ...

    def start(self) -> bool: ...

    def wait_ready(self) -> ComponentStatus: ...

    def stop(self) -> bool: ...


class LocalStack:
    """The local Kafka broker and ClickHouse server described by ``settings``.

    ``progress`` receives one line per step of ``up`` (default: the ``pipeline.stack`` logger at INFO).
    """

    def __init__(self, settings: Settings, progress: Progress | None = None) -> None:
        self.settings = settings
        self.run_dir = settings.stack.run_dir.expanduser().resolve()
        self._progress: Progress = progress or _log.info
        kafka: Component
        clickhouse: Component
        if settings.stack.kafka == "local":
            kafka = KafkaBroker(settings, self.run_dir, self._progress)
        else:
            servers = settings.kafka.bootstrap_servers
            kafka = ExternalService(
                "kafka",
                "Kafka",
                servers,
                lambda timeout: kafka_probe(servers, timeout),
                "WARMCITY_STACK_KAFKA",
            )
        if settings.stack.clickhouse == "local":
            clickhouse = ClickHouseServer(settings, self.run_dir, self._progress)
        else:
            ch = settings.clickhouse
            clickhouse = ExternalService(
                "clickhouse",
                "ClickHouse",
                f"{ch.host}:{ch.port}",
                lambda timeout: clickhouse_probe(ch, min(timeout, ch.connect_timeout_s)),
                "WARMCITY_STACK_CLICKHOUSE",
            )
        self._components: list[Component] = [kafka, clickhouse]
        self.started: list[str] = []
        """Names of the components the last ``up`` call started itself (not found running)."""

    def up(self) -> list[ComponentStatus]:
        """Start what is local and not running, check what is external; return once all answer.

        Idempotent: a component already started by us is left running. Raises ``StackError`` naming the
        cause when a component cannot be started or does not answer within ``ready_timeout_s``.
        """
        self.started = []
        ready: dict[str, ComponentStatus] = {}
        errors: list[str] = []
        with self._exclusive():
            # One after the other, ClickHouse first (it answers within a second); after a failure the
            # next is still tried, so one run reports every problem.
            for component in sorted(self._components, key=lambda c: c.name != "clickhouse"):
                try:
                    if component.start():
                        self.started.append(component.name)
                    ready[component.name] = component.wait_ready()
                except StackError as exc:
                    errors.append(str(exc))
        if errors:
            raise StackError("\n".join(errors))
        return [ready[component.name] for component in self._components]

    def down(self, components: Collection[str] | None = None) -> list[str]:
        """Stop the local components ``up`` started (all, or only those named); return the names stopped.

        SIGTERM first, SIGKILL after a timeout. External components are never touched.
        """
        unknown = set(components or ()) - {c.name for c in self._components}
        if unknown:
            raise StackError(f"unknown component(s): {', '.join(sorted(unknown))}")
        stopped: list[str] = []
        with self._exclusive():
            for component in self._components:
                if components is not None and component.name not in components:
                    continue
                if component.stop():
                    stopped.append(component.name)
        return stopped

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One ``up`` or ``down`` at a time per run directory, across processes (two test sessions, say).

        Without it, two ``up`` calls could both find no pid file and start two servers on one data dir.
        """
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with (self.run_dir / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def status(self) -> list[ComponentStatus]:
        """Each component as it is now; never starts or stops anything."""
        return [component.status() for component in self._components]
