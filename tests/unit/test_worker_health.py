"""Liveness and readiness of the worker: the checks on a fake clock, the pinger on a real event loop, the
routes through the real HTTP endpoint next to /metrics."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pipeline.http_endpoint import serve
from pipeline.worker.health import HealthState, LoopPinger, routes


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def state(clock: Clock, loaded: bool = True) -> HealthState:
    return HealthState(clock=clock, max_silence_s=30, startup_s=60, references_loaded=lambda: loaded)


def test_live_while_starting_then_only_while_the_loop_answers() -> None:
    clock = Clock()
    health = state(clock)
    clock.now += 59
    assert health.liveness()[0]  # the loop has not answered yet, but the worker is only starting
    clock.now += 2
    live, checks = health.liveness()
    assert not live and "not answered yet" in checks["event_loop"]
    health.report(assigned=3, recovered=True)
    clock.now += 30
    assert health.liveness()[0]
    clock.now += 0.5
    live, checks = health.liveness()
    assert not live and "30.5 s ago" in checks["event_loop"]


@pytest.mark.parametrize(
    ("loaded", "assigned", "recovered", "stopping", "ready"),
    [
        (True, 3, True, False, True),
        (False, 3, True, False, False),  # reference topics still loading
        (True, 0, True, False, False),  # no partition: this worker does nothing
        (True, 3, False, False, False),  # tables still recovering from their changelogs
        (True, 3, True, True, False),  # shutting down
    ],
)
def test_ready_needs_references_tables_partitions_and_no_shutdown(
    loaded: bool, assigned: int, recovered: bool, stopping: bool, ready: bool
) -> None:
    health = state(Clock(), loaded)
    health.report(assigned, recovered)
    health.stopping = stopping
    ok, checks = health.readiness()
    assert ok is ready
    assert checks["partitions_assigned"] == assigned and checks["shutting_down"] is stopping


def test_not_ready_when_not_live() -> None:
    clock = Clock()
    health = state(clock)
    health.report(3, True)
    clock.now += 31
    assert not health.readiness()[0]


@pytest.fixture
def running_loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    if not loop.is_closed():
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def eventually(condition: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_the_pinger_sees_a_blocked_loop_and_a_stopped_one(running_loop: asyncio.AbstractEventLoop) -> None:
    health = HealthState(max_silence_s=0.4, startup_s=0.0)
    pinger = LoopPinger(running_loop, lambda: health.report(1, True), 0.05)
    pinger.start()
    assert eventually(lambda: health.liveness()[0])
    running_loop.call_soon_threadsafe(time.sleep, 1.5)  # a blocking call inside the event loop
    assert eventually(lambda: not health.liveness()[0], 1.4)
    assert eventually(lambda: health.liveness()[0], 3.0)  # it answers again once unblocked
    running_loop.call_soon_threadsafe(running_loop.stop)
    assert eventually(lambda: not health.liveness()[0], 2.0)
    pinger.stop()


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_health_routes_are_served_next_to_the_metrics() -> None:
    clock = Clock()
    health = state(clock, loaded=False)
    health.report(2, True)
    extra: dict[str, Any] = {**routes(health), "/broken": lambda: 1 / 0}
    server = serve(0, extra, addr="127.0.0.1")
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        status, body = get(f"{base}/healthz")
        assert status == 200 and json.loads(body)["status"] == "ok"
        status, body = get(f"{base}/readyz")
        document = json.loads(body)
        assert (
            status == 503 and document["status"] == "fail" and document["checks"]["references"] == "loading"
        )
        status, body = get(f"{base}/metrics")
        assert status == 200 and b"# HELP warmcity_stage_events_in_total" in body
        assert get(f"{base}/broken")[0] == 500
        clock.now += 31
        assert get(f"{base}/healthz")[0] == 503
    finally:
        server.shutdown()
        server.server_close()
