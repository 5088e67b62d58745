"""Reading a process's memory from /proc: the status fields, a process tree, sums over it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.bench.processes import Memory, memory_of, parse_status, process_tree, rss_mb

STATUS = """Name:\tpython
State:\tS (sleeping)
Pid:\t4242
VmPeak:\t  912340 kB
VmHWM:\t  614400 kB
VmRSS:\t  512000 kB
Threads:\t12
"""


def test_parse_status_reads_the_kb_fields() -> None:
    found = parse_status(STATUS)
    assert found["VmHWM"] == 614_400 and found["VmRSS"] == 512_000 and found["VmPeak"] == 912_340
    assert "Threads" not in found and "Name" not in found


def test_memory_sums_a_tree_in_mib() -> None:
    memory = Memory.of({1: {"VmRSS": 1024, "VmHWM": 2048}, 2: {"VmRSS": 512}})
    assert memory == Memory(rss_mb=1.5, peak_mb=2.5, processes=2)
    assert Memory.of({}) is None


def _fake_proc(root: Path, tree: dict[int, list[int]]) -> None:
    for pid, children in tree.items():
        task = root / str(pid) / "task" / str(pid)
        task.mkdir(parents=True)
        (task / "children").write_text(" ".join(map(str, children)) + (" " if children else ""))
        (root / str(pid) / "status").write_text(STATUS)


def test_process_tree_and_its_memory_from_a_proc_folder(tmp_path: Path) -> None:
    _fake_proc(tmp_path, {10: [11, 12], 11: [13], 12: [], 13: []})
    assert sorted(process_tree(10, tmp_path)) == [10, 11, 12, 13]
    assert process_tree(99, tmp_path) == []
    memory = memory_of(10, tmp_path)
    assert memory is not None and memory.processes == 4
    assert memory.peak_mb == pytest.approx(4 * 600.0) and memory.rss_mb == pytest.approx(4 * 500.0)
    assert memory_of(99, tmp_path) is None


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_this_process_has_memory() -> None:
    memory = memory_of(os.getpid())
    assert memory is not None and memory.peak_mb >= memory.rss_mb > 0
    assert rss_mb(os.getpid()) is not None
