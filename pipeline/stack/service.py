"""The life cycle shared by Kafka and ClickHouse: start detached, wait until ready, report, stop.

``LocalService`` is a server the stack runs itself (subclasses say how to prepare and probe it);
``ExternalService`` is one somebody else runs, which the stack only checks. Neither knows the other exists;
``stack.py`` orchestrates them.
"""

from __future__ import annotations

import ipaddress
import socket
import subprocess
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

from pipeline.stack.model import ComponentName, ComponentState, ComponentStatus, Progress, StackError
from pipeline.stack.process import PidFile, ensure_port_free, log_size, spawn_detached, tail, terminate

Probe = Callable[[float], None]
"""Checks a server answers within the given seconds; raises with the reason when it does not."""


def require_loopback(host: str, setting: str) -> None:
    """The local stack binds only loopback addresses: a LAN-reachable broker or database is never implied."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
        loopback = all(ipaddress.ip_address(address).is_loopback for address in addresses)
    except (OSError, ValueError):
        loopback = False
    if not loopback:
        raise StackError(
            f"{setting}={host} is not a loopback address; the local stack listens only on 127.0.0.1 "
            "(use an external server for other hosts, see docs/stack.md)"
        )


class LocalService(ABC):
    """A server started by the stack, tracked by a pid file in the run directory."""

    name: ComponentName
    display_name: str

    def __init__(self, run_dir: Path, host: str, port: int, ready_timeout_s: float, progress: Progress):
        self.home = run_dir / self.name
        self.host, self.port = host, port
        self.ready_timeout_s = ready_timeout_s
        self.progress = progress
        self.output = self.home / f"{self.name}.out"
        self.pid_file = PidFile(run_dir / f"{self.name}.pid", marker=str(self.config_path))
        self._child: subprocess.Popen[bytes] | None = None
        self._started_at = 0.0
        self._log_offsets: dict[Path, int] = {}

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    @abstractmethod
    def config_path(self) -> Path:
        """The config file the server is started with; its path identifies our process."""

    @property
    @abstractmethod
    def log(self) -> Path:
        """The server's own log, the first place to look."""

    @abstractmethod
    def ports(self) -> list[tuple[int, str]]:
        """Every port the server binds, each with the setting that chose it."""

    @abstractmethod
    def validate(self) -> None:
        """Reject settings the server cannot run with, before anything is checked or written."""

    @abstractmethod
    def prepare(self) -> list[str]:
        """Check the tools, write the configs, initialise storage; return the command that starts it."""

    @abstractmethod
    def probe(self, timeout_s: float) -> None:
        """Raise unless the server answers a real request within ``timeout_s``."""

    def status(self) -> ComponentStatus:
        pid = self.pid_file.read()
        if pid is None:
            return ComponentStatus(self.name, "stopped", self.address, self.log, None)
        state: ComponentState = "running" if self.answers(2.0) else "unreachable"
        return ComponentStatus(self.name, state, self.address, self.log, pid)

    def start(self) -> bool:
        """Spawn the server unless ours is already running (then False); ``wait_ready`` waits for it."""
        self._child = None
        pid = self.pid_file.read()
        if pid is not None:
            self.progress(f"{self.name} already running (pid {pid})")
            return False
        self.validate()
        for port, setting in self.ports():
            ensure_port_free(self.host, port, f"{self.name}: {setting}")
        command = self.prepare()
        self.progress(f"starting {self.name}...")
        self._started_at = time.monotonic()
        self._log_offsets = {path: log_size(path) for path in self.diagnosis_logs()}
        self._child = spawn_detached(command, self.output, cwd=self.home)
        self.pid_file.write(self._child.pid)
        return True

    def wait_ready(self) -> ComponentStatus:
        deadline = time.monotonic() + self.ready_timeout_s
        last_error = ""
        while True:
            if self._child is not None and (code := self._child.poll()) is not None:
                self.pid_file.remove()
                raise StackError(
                    f"{self.display_name} exited during start (exit code {code}); last lines of its logs:\n"
                    + self._diagnosis()
                )
            if self._child is None and self.pid_file.read() is None:
                raise StackError(f"{self.display_name} stopped while waiting for it: see {self.log}")
            try:
                self.probe(max(0.5, min(5.0, deadline - time.monotonic())))
                break
            except Exception as exc:  # any failure of the probe means "not ready yet"
                last_error = f" (last error: {exc})"
            if time.monotonic() >= deadline:
                self.stop()
                raise StackError(
                    f"{self.display_name} did not answer within {self.ready_timeout_s:g} s: see {self.log}"
                    f"{last_error}; the process was stopped"
                )
            time.sleep(0.25)
        if self._child is not None:
            elapsed = time.monotonic() - self._started_at
            self.progress(f"{self.name} ready at {self.address} ({elapsed:.1f} s)")
        return self.status()

    def answers(self, timeout_s: float) -> bool:
        try:
            self.probe(timeout_s)
        except Exception:  # not answering, whatever the reason
            return False
        return True

    def stop(self) -> bool:
        pid = self.pid_file.read()
        if pid is None:
            return False
        terminate(pid, self.pid_file.marker)
        self.pid_file.remove()
        return True

    def diagnosis_logs(self) -> list[Path]:
        return [self.log, self.output]

    def _diagnosis(self) -> str:
        logs = self.diagnosis_logs()
        return "\n".join(f"{path}:\n{tail(path, since=self._log_offsets.get(path, 0))}" for path in logs)


class ExternalService:
    """A server somebody else runs: never started or stopped, only checked."""

    def __init__(self, name: ComponentName, display_name: str, address: str, probe: Probe, setting: str):
        self.name, self.display_name, self.address = name, display_name, address
        self._probe, self._setting = probe, setting

    def _answer(self, timeout_s: float) -> str | None:
        try:
            self._probe(timeout_s)
        except Exception as exc:  # reported to the user as the reason it is unreachable
            return str(exc) or type(exc).__name__
        return None

    def status(self) -> ComponentStatus:
        state: ComponentState = "external" if self._answer(3.0) is None else "unreachable"
        return ComponentStatus(self.name, state, self.address)

    def start(self) -> bool:
        return False

    def wait_ready(self) -> ComponentStatus:
        error = self._answer(5.0)
        if error is not None:
            raise StackError(
                f"{self.display_name} at {self.address} ({self._setting}=external) did not answer: {error}"
            )
        return ComponentStatus(self.name, "external", self.address)

    def stop(self) -> bool:
        return False
