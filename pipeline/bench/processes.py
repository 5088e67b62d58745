"""Child processes of a phase: start one, read its memory, show the end of its log."""

from __future__ import annotations

from pathlib import Path

from pipeline.worker.child import child_process

__all__ = ["child_process", "log_tail", "rss_mb"]


def rss_mb(pid: int) -> float | None:
    """Resident memory of ``pid`` in MiB, from /proc (None where there is no /proc or it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def log_tail(path: Path, lines: int = 20) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
