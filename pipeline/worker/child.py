"""A worker as a child process: how the demo and the integration tests run the real thing."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

STOP_TIMEOUT_S = 30.0


@contextmanager
def worker_process(env: Mapping[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``warmcity worker`` for the duration of the block, its output in ``log_path``; stopped after with
    SIGTERM (Faust then shuts the agents down in order), and SIGKILL if it has not gone in 30 s."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli.main", "worker"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env),
            start_new_session=True,  # a Ctrl-C meant for the parent must not reach the worker first
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
