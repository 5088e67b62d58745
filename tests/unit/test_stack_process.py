"""Pid files, port checks, stopping and log tails of pipeline.stack.process, on real processes and sockets."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.stack import StackError
from pipeline.stack.process import PidFile, ensure_port_free, port_answers, spawn_detached, tail, terminate


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def sleeper(tmp_path: Path, marker: str) -> subprocess.Popen[bytes]:
    # The marker is in the command line, as the config path is for the real servers.
    code = f"import time  # {marker}\ntime.sleep(60)"
    return spawn_detached([sys.executable, "-c", code], tmp_path / "out.log", cwd=tmp_path)


def test_port_in_use_is_named_with_its_setting(listening: int) -> None:
    with pytest.raises(
        StackError, match=rf"port {listening} is in use by another process \(kafka: SETTING\)"
    ):
        ensure_port_free("127.0.0.1", listening, "kafka: SETTING")


def test_free_port_passes_and_answers_only_while_listened_on(listening: int) -> None:
    assert port_answers("127.0.0.1", listening)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = int(sock.getsockname()[1])
    ensure_port_free("127.0.0.1", free, "test")
    assert not port_answers("127.0.0.1", free)


def test_pid_file_of_a_live_process_is_read_and_terminate_stops_it(tmp_path: Path) -> None:
    child = sleeper(tmp_path, "marker-live")
    pid_file = PidFile(tmp_path / "x.pid", marker="marker-live")
    pid_file.write(child.pid)
    assert pid_file.read() == child.pid
    terminate(child.pid, "marker-live", timeout_s=10)
    assert child.poll() is not None
    assert pid_file.read() is None
    assert not pid_file.path.exists()


def test_pid_file_of_another_process_is_stale_and_removed(tmp_path: Path) -> None:
    child = sleeper(tmp_path, "marker-a")
    try:
        # A recycled pid: alive, but not started with our config, so never ours to stop.
        pid_file = PidFile(tmp_path / "x.pid", marker="marker-b")
        pid_file.write(child.pid)
        assert pid_file.read() is None
        assert not pid_file.path.exists()
    finally:
        terminate(child.pid, "marker-a", timeout_s=10)


def test_pid_file_of_an_exited_process_or_garbage_is_removed(tmp_path: Path) -> None:
    child = spawn_detached([sys.executable, "-c", "pass  # marker-gone"], tmp_path / "out.log", cwd=tmp_path)
    child.wait()
    pid_file = PidFile(tmp_path / "x.pid", marker="marker-gone")
    pid_file.write(child.pid)
    assert pid_file.read() is None
    pid_file.path.write_text("not a pid\n")
    assert pid_file.read() is None
    assert not pid_file.path.exists()
    assert PidFile(tmp_path / "absent.pid", marker="m").read() is None


def test_terminate_kills_a_process_that_ignores_sigterm(tmp_path: Path) -> None:
    code = (
        "import signal, time  # marker-stubborn\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('up', flush=True)\n"
        "time.sleep(60)"
    )
    child = spawn_detached([sys.executable, "-c", code], tmp_path / "out.log", cwd=tmp_path)
    # Wait until the handler is installed, or SIGTERM would arrive first and end the test too early.
    while b"up" not in (tmp_path / "out.log").read_bytes():
        assert child.poll() is None
        time.sleep(0.01)
    terminate(child.pid, "marker-stubborn", timeout_s=0.5)
    assert child.returncode == -9


def test_tail_shows_only_what_was_written_since_an_offset(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    assert "does not exist" in tail(log)
    log.write_text("old run\n")
    offset = log.stat().st_size
    assert tail(log, since=offset) == "  (nothing written)"
    with log.open("a") as out:
        out.writelines(f"line {n}\n" for n in range(30))
    shown = tail(log, lines=3, since=offset)
    assert shown == "  line 27\n  line 28\n  line 29"
    assert "old run" not in tail(log, lines=100, since=offset)
