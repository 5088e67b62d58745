"""Processes of the stack: pid files, detached start, stop, port checks and log tails.

Only the mechanics live here; nothing in this module knows about Kafka or ClickHouse. A pid file is trusted
only while the process it names is alive and its command line still contains the component's config path,
so a recycled pid never makes ``down`` kill an unrelated process.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from pipeline.stack.model import StackError

# Children spawned by this very process (tests run the stack in-process): kept so that stopping one
# reaps it instead of leaving a zombie that still looks alive in /proc.
_children: dict[int, subprocess.Popen[bytes]] = {}


def _alive(pid: int, marker: str) -> bool:
    child = _children.get(pid)
    if child is not None:
        # Our own child: its arguments are known without racing its execve through /proc.
        args = child.args if isinstance(child.args, list) else [child.args]
        return child.poll() is None and any(marker in str(arg) for arg in args)
    for _ in range(50):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return False
        # Empty while the process is inside execve (or is a kernel thread): look again shortly.
        if cmdline or state in ("Z", "X"):
            return state not in ("Z", "X") and marker.encode() in cmdline
        time.sleep(0.01)
    return False


class PidFile:
    """The pid of one running component, trusted only while that process is alive and is ours."""

    def __init__(self, path: Path, marker: str) -> None:
        self.path = path
        self.marker = marker

    def read(self) -> int | None:
        """The live pid, or None; a stale file (process gone or pid reused) is removed."""
        try:
            pid = int(self.path.read_text().strip())
        except FileNotFoundError:
            return None
        except ValueError:
            self.remove()
            return None
        if _alive(pid, self.marker):
            return pid
        self.remove()
        return None

    def write(self, pid: int) -> None:
        # Written whole then renamed, so a concurrent reader never sees half a number.
        tmp = self.path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(f"{pid}\n")
        tmp.replace(self.path)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def spawn_detached(cmd: Sequence[str], output: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in its own session (it outlives the caller and ignores its Ctrl-C), output appended."""
    with output.open("ab") as out:
        try:
            child = subprocess.Popen(
                list(cmd),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                start_new_session=True,
            )
        except OSError as exc:
            raise StackError(f"could not run {cmd[0]}: {exc}") from exc
    _children[child.pid] = child
    return child


def wait_gone(pid: int, marker: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while _alive(pid, marker):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def terminate(pid: int, marker: str, timeout_s: float = 30.0) -> None:
    """SIGTERM the process group (a clean shutdown), SIGKILL it if it is still there after ``timeout_s``."""
    for sig, wait_s in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, 10.0)):
        if not _alive(pid, marker):
            break
        # The child leads its own session, so its group holds it and anything it forked.
        with contextlib.suppress(ProcessLookupError):
            try:
                os.killpg(pid, sig)
            except PermissionError:
                os.kill(pid, sig)
        if wait_gone(pid, marker, wait_s):
            break
    else:
        raise StackError(f"process {pid} did not exit after SIGKILL")
    child = _children.pop(pid, None)
    if child is not None:
        child.wait()


def port_answers(host: str, port: int, timeout_s: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def ensure_port_free(host: str, port: int, purpose: str) -> None:
    """Raise if something already listens on ``host:port`` (checked by binding it, as the server will)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # Same option the servers set: a port in TIME_WAIT is free for them, a listening one is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise StackError(f"cannot listen on {host}:{port} ({purpose}): {exc.strerror}") from exc
            raise StackError(
                f"port {port} is in use by another process ({purpose}); stop that process or choose "
                f"another port ({exc.strerror})"
            ) from exc


def log_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def tail(path: Path, lines: int = 15, since: int = 0) -> str:
    """The last ``lines`` lines written to a log after byte ``since``, indented (or a note: none)."""
    try:
        with path.open("rb") as log:
            size = log.seek(0, os.SEEK_END)
            # Only what this start wrote: an appended log also holds earlier runs.
            log.seek(max(since, size - 16_384))
            text = log.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return f"  ({path} does not exist)"
    last = text.splitlines()[-lines:]
    return "\n".join(f"  {line}" for line in last) if last else "  (nothing written)"
