"""The invalid-share cap on a real worker: a stream that is mostly garbage stops the worker by itself, with a
non-zero exit code and a CRITICAL line, without acknowledging (or dead-lettering) the batch that crossed the
cap; restarted with the cap disabled, the same worker dead-letters every garbage message and stores every
good one: nothing was lost."""

from __future__ import annotations

import contextlib
import subprocess
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition

from pipeline.contracts.dead_letter import DeadLetter
from pipeline.errors import RejectReason
from pipeline.settings import Settings
from pipeline.stages.invalid_share import CAP_SETTING
from pipeline.storage.client import clickhouse_client
from pipeline.worker.run import EXIT_INVALID_SHARE
from tests.integration.helpers import (
    NOW_ISO,
    prepared,
    produce,
    read_topic,
    running_worker,
    scenario_settings,
    wait_for,
)
from tests.unit.factories import device, plate_read_bytes

pytestmark = pytest.mark.integration

DEVICE = b"KK-DS-0001"  # one key: every message on one partition, in the order sent
GOOD, GARBAGE = 20, 300


def committed_offset(bootstrap: str, group: str, topic: str, partitions: int) -> int:
    """The group's committed offsets on ``topic``, summed over partitions (an uncommitted one counts 0)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        found = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        return sum(max(tp.offset, 0) for tp in found)
    finally:
        consumer.close()


def exit_code_within(process: subprocess.Popen[bytes], timeout_s: float, metrics_url: str) -> tuple[int, str]:
    """Wait for the worker to stop by itself; return its exit code and the last /metrics page it served."""
    deadline, last = time.monotonic() + timeout_s, ""
    while process.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(OSError):  # not serving yet, or already gone
            last = urllib.request.urlopen(metrics_url, timeout=1).read().decode()
        time.sleep(0.1)
    code = process.poll()
    assert code is not None, f"the worker did not stop by itself within {timeout_s:.0f} s"
    return code, last


def test_mostly_garbage_stops_the_worker_and_nothing_of_the_batch_is_lost(
    stack_settings: Settings, unique_prefix: str, unique_database: str, tmp_path: Path
) -> None:
    settings = scenario_settings(stack_settings, unique_prefix, unique_database, tmp_path)
    assert settings.pipeline.max_invalid_share == 0.5  # the defaults are what is tested
    bootstrap, topics = prepared(settings, unique_database)
    produce(bootstrap, topics.ref_devices, [(DEVICE, device().model_dump_json().encode())])
    good = [(DEVICE, plate_read_bytes(event_id=f"ev-cap-{n:04d}", event_time=NOW_ISO)) for n in range(GOOD)]
    garbage = [(DEVICE, f"garbage {n}".encode()) for n in range(GARBAGE)]  # a bad deploy: nothing parses
    produce(bootstrap, topics.raw_plate_reads, [*good, *garbage])
    total = GOOD + GARBAGE
    group = f"{topics.prefix}-{settings.pipeline.app_id}"
    partitions = settings.kafka.partitions
    metrics_url = f"http://127.0.0.1:{settings.pipeline.metrics_port}/metrics"

    log_path = tmp_path / "worker.log"
    with running_worker(settings, log_path) as process:
        code, metrics = exit_code_within(process, 90, metrics_url)
    log = log_path.read_text(errors="replace")
    assert code == EXIT_INVALID_SHARE, f"exit code {code}; log:\n{log[-4000:]}"
    critical = [line for line in log.splitlines() if "CRITICAL" in line and "invalid share" in line]
    assert len(critical) == 1, log[-4000:]
    for part in ("vehicle_checkpoint", "cap of 50.0%", "not_json", CAP_SETTING, "1.0 disables"):
        assert part in critical[0], part
    assert 'warmcity_invalid_share_tripped_total{family="vehicle_checkpoint"} 1.0' in metrics

    # The batch that crossed the cap was neither dead-lettered nor committed: at most what came before it
    # is. Before the window holds INVALID_SHARE_MIN_MESSAGES the guard does not judge; after that, every
    # batch end is over the cap (all but the 20 good messages are garbage). So only garbage from batches
    # that ended with fewer than that many messages seen can be dead letters, however the worker happened
    # to cut the stream into batches.
    before = [
        DeadLetter.model_validate_json(v) for _, v in read_topic(bootstrap, topics.dead_letter, GARBAGE, 5)
    ]
    committed = committed_offset(bootstrap, group, topics.raw_plate_reads, partitions)
    assert committed < total
    judged_from = settings.pipeline.invalid_share_min_messages
    assert all(letter.origin.offset < judged_from for letter in before), (
        "garbage past the cap was dead-lettered"
    )
    assert len(before) < judged_from - GOOD

    # Restarted with the cap unchanged, it stops again: the garbage is still there, unacknowledged.
    with running_worker(settings, tmp_path / "worker-again.log") as process:
        code, _ = exit_code_within(process, 90, metrics_url)
    assert code == EXIT_INVALID_SHARE
    assert committed_offset(bootstrap, group, topics.raw_plate_reads, partitions) < total

    # The operator decides the garbage is expected: 1.0 disables the cap, and every message is processed.
    disabled = replace(settings, pipeline=settings.pipeline.model_copy(update={"max_invalid_share": 1.0}))

    def dead_lettered() -> set[int]:
        found = read_topic(bootstrap, topics.dead_letter, 10 * total, timeout_s=2)  # all there is by now
        return {DeadLetter.model_validate_json(v).origin.offset for _, v in found}

    disabled_log = tmp_path / "worker-disabled.log"
    with running_worker(disabled, disabled_log) as process:
        wait_for(lambda: dead_lettered() == set(range(GOOD, total)), 60, "all garbage dead-lettered",
                 disabled_log)  # fmt: skip
        client = clickhouse_client(settings.clickhouse)
        wait_for(lambda: client.execute("SELECT count() FROM plate_reads_dedup")[0][0] == GOOD, 60,
                 "every good message stored", disabled_log)  # fmt: skip
        wait_for(lambda: committed_offset(bootstrap, group, topics.raw_plate_reads, partitions) == total, 30,
                 "every raw offset committed", disabled_log)  # fmt: skip
        assert process.poll() is None, "the worker with the cap disabled stopped"
    letters = [
        DeadLetter.model_validate_json(v) for _, v in read_topic(bootstrap, topics.dead_letter, total, 2)
    ]
    assert {letter.reason for letter in letters} == {RejectReason.NOT_JSON}
