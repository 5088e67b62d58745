"""What the stack reports: the status of one component, the one error type, and the progress callback."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ComponentName = Literal["kafka", "clickhouse"]
ComponentState = Literal["running", "stopped", "external", "unreachable"]

Progress = Callable[[str], None]
"""Receives one human-readable line per step of ``up`` (the CLI prints them)."""


class StackError(Exception):
    """The stack could not be started, checked or stopped; the message names the cause and what to do."""


@dataclass(frozen=True)
class ComponentStatus:
    """One component of the stack as it is now.

    ``state`` is ``running`` (started by us and answering), ``stopped`` (local, not running), ``external``
    (not ours, answering) or ``unreachable`` (external and not answering, or ours but not answering yet).
    """

    name: ComponentName
    state: ComponentState
    address: str
    log: Path | None = None
    pid: int | None = None
