"""Child processes of a phase: start one, read its memory, show the end of its log."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.worker.child import child_process

__all__ = [
    "Memory",
    "child_process",
    "cpu_seconds",
    "log_tail",
    "memory_of",
    "parse_status",
    "process_tree",
    "rss_mb",
]

KIB_PER_MIB = 1024


def parse_status(text: str) -> dict[str, int]:
    """The ``kB`` fields of a /proc/<pid>/status text (``VmRSS``, ``VmHWM``, ...), in KiB."""
    found = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if len(parts) == 2 and parts[1] == "kB" and parts[0].isdigit():
            found[name.strip()] = int(parts[0])
    return found


@dataclass(frozen=True)
class Memory:
    """Resident memory of a process (tree), MiB: now (``VmRSS``) and its peak (``VmHWM``, the kernel's
    high-water mark of resident memory since the process started)."""

    rss_mb: float
    peak_mb: float
    processes: int = 1

    @classmethod
    def of(cls, statuses: Mapping[int, Mapping[str, int]]) -> Memory | None:
        """Summed over the processes of ``statuses`` (pid -> parsed status); None if there are none."""
        if not statuses:
            return None
        rss = sum(status.get("VmRSS", 0) for status in statuses.values())
        peak = sum(status.get("VmHWM", status.get("VmRSS", 0)) for status in statuses.values())
        return cls(rss / KIB_PER_MIB, peak / KIB_PER_MIB, len(statuses))


def process_tree(pid: int, proc: Path = Path("/proc")) -> list[int]:
    """``pid`` and its descendants, from /proc/<pid>/task/<tid>/children (empty once it has gone)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        tasks = proc / str(current) / "task"
        try:
            children = [
                int(child) for task in tasks.iterdir() for child in (task / "children").read_text().split()
            ]
        except (OSError, ValueError):
            if current == pid:
                return []
            continue
        found.append(current)
        pending.extend(children)
    return found


def memory_of(pid: int, proc: Path = Path("/proc")) -> Memory | None:
    """Memory of ``pid`` and its descendants (None where there is no /proc or it has gone)."""
    statuses = {}
    for member in process_tree(pid, proc):
        try:
            statuses[member] = parse_status((proc / str(member) / "status").read_text())
        except OSError:
            continue
    return Memory.of(statuses)


def rss_mb(pid: int) -> float | None:
    """Resident memory of ``pid`` in MiB, from /proc (None where there is no /proc or it has gone)."""
    try:
        status = parse_status(Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return None
    rss = status.get("VmRSS")
    return rss / KIB_PER_MIB if rss is not None else None


def cpu_seconds(pid: int, proc: Path = Path("/proc")) -> dict[int, float]:
    """CPU time (user + system, s) of ``pid`` and each descendant, by pid, from /proc/<pid>/stat; what
    a benchmark on a shared machine can compare when wall-clock rates are disturbed by other work."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    used: dict[int, float] = {}
    for member in process_tree(pid, proc):
        try:
            stat = (proc / str(member) / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": state is field 3
        used[member] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime: fields 14 and 15
    return used


def log_tail(path: Path, lines: int = 20) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
