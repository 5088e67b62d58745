"""The worker's liveness and readiness, served as ``/healthz`` and ``/readyz`` next to ``/metrics``.

- **Live** (``/healthz``): the worker's event loop ran a callback within ``MAX_SILENCE_S``. A thread posts
  one to the loop every ``PING_INTERVAL_S`` (``loop.call_soon_threadsafe``); a loop stuck in a blocking call
  or an endless computation never runs it, a stopped or closed loop neither. Until the loop first answers
  the worker counts as live for ``STARTUP_S`` (the HTTP server starts just before the Faust worker).
- **Ready** (``/readyz``): live, every reference topic loaded, table recovery completed, at least one
  partition of a topic the consumer group commits assigned, and not shutting down. The loop's callback
  reads the assignment and the recovery flag, so nothing of Faust is touched from the HTTP thread.

Both answer 200 or 503 with a JSON body naming each check, so a probe's failure says which.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipeline.worker.lag_metrics import group_partitions

if TYPE_CHECKING:
    from pipeline.worker.app import PipelineWorker

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"
PING_INTERVAL_S = 1.0
MAX_SILENCE_S = 30.0
STARTUP_S = 60.0


@dataclass(frozen=True)
class LoopReport:
    """What the loop's callback saw, at the time it ran."""

    at: float
    assigned: int
    recovered: bool


@dataclass
class HealthState:
    """Set from the loop (``report``) and the shutdown hook; read by the HTTP thread. Plain attribute
    assignments only, so a reader never sees half of an update."""

    clock: Callable[[], float] = time.monotonic
    max_silence_s: float = MAX_SILENCE_S
    startup_s: float = STARTUP_S
    references_loaded: Callable[[], bool] = lambda: False
    started: float = field(init=False)
    last: LoopReport | None = None
    stopping: bool = False

    def __post_init__(self) -> None:
        self.started = self.clock()

    def report(self, assigned: int, recovered: bool) -> None:
        self.last = LoopReport(self.clock(), assigned, recovered)

    def liveness(self) -> tuple[bool, dict[str, Any]]:
        now, last = self.clock(), self.last
        if last is None:
            waited = now - self.started
            ok = waited <= self.startup_s
            return ok, {
                "event_loop": f"not answered yet, {waited:.0f} s after start (allowed {self.startup_s:.0f} s)"
            }
        silence = now - last.at
        ok = silence <= self.max_silence_s
        return ok, {"event_loop": f"answered {silence:.1f} s ago (allowed {self.max_silence_s:.0f} s)"}

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        live, checks = self.liveness()
        last = self.last
        loaded = self.references_loaded()
        assigned = last.assigned if last is not None else 0
        recovered = last.recovered if last is not None else False
        checks.update(
            references="loaded" if loaded else "loading",
            tables="recovered" if recovered else "recovering",
            partitions_assigned=assigned,
            shutting_down=self.stopping,
        )
        ok = live and loaded and recovered and assigned > 0 and not self.stopping
        return ok, checks


def as_route(check: Callable[[], tuple[bool, dict[str, Any]]]) -> Callable[[], tuple[int, Mapping[str, Any]]]:
    """A check as an HTTP route: 200 when it holds, 503 when not, the checks in the body."""

    def route() -> tuple[int, Mapping[str, Any]]:
        ok, checks = check()
        return (200 if ok else 503), {"status": "ok" if ok else "fail", "checks": checks}

    return route


def routes(state: HealthState) -> dict[str, Callable[[], tuple[int, Mapping[str, Any]]]]:
    return {LIVENESS_PATH: as_route(state.liveness), READINESS_PATH: as_route(state.readiness)}


class LoopPinger:
    """Posts ``callback`` to ``loop`` every ``interval_s`` from a daemon thread, until the loop closes."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, callback: Callable[[], None], interval_s: float
    ) -> None:
        self._loop, self._callback, self._interval_s = loop, callback, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="health-pinger", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            if self._loop.is_closed():
                return
            with contextlib.suppress(RuntimeError):  # closed between the check and the call
                self._loop.call_soon_threadsafe(self._callback)


def _assigned(app: Any) -> int:
    try:
        return len(group_partitions((tp.topic, tp.partition) for tp in app.consumer.assignment()))
    except Exception:  # the consumer has not started, or is being rebuilt
        return 0


def _recovered(app: Any) -> bool:
    try:
        return bool(app.tables.recovery.completed.is_set())
    except Exception:
        return False


def wire_health(worker: PipelineWorker, loop: asyncio.AbstractEventLoop) -> HealthState:
    """The health state of ``worker`` whose Faust app runs on ``loop``; pinged from now on."""
    state = HealthState(references_loaded=worker.references.loaded)
    app = worker.app

    def on_loop() -> None:
        state.report(_assigned(app), _recovered(app))

    @app.on_before_shutdown.connect
    def _stopping(sender: Any, /, *args: Any, **kwargs: Any) -> None:
        state.stopping = True

    LoopPinger(loop, on_loop, PING_INTERVAL_S).start()
    return state
