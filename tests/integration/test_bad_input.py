"""The bad-input corpus through a real worker: each file dead-lettered with its reason and counted in the
metrics, the good messages around it stored, the stream never stopped."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from pipeline.contracts.dead_letter import DeadLetter
from pipeline.settings import Settings
from pipeline.storage.client import clickhouse_client
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

CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad"
EXPECTED: dict[str, str] = json.loads((CORPUS / "expected.json").read_text())


def as_sent_now(name: str) -> bytes:
    """The corpus file, with its event time moved to now unless the time is what is wrong with it: the
    corpus's other faults must not be hidden behind an event time that has grown old."""
    raw = (CORPUS / name).read_bytes()
    if name.startswith("event_time_"):
        return raw
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw
    if isinstance(document, dict) and "event_time" in document and name != "oversized.json":
        document["event_time"] = datetime.now(UTC).isoformat()
        return orjson.dumps(document)
    return raw


def test_the_corpus_is_dead_lettered_around_good_messages(
    stack_settings: Settings, unique_prefix: str, unique_database: str, tmp_path: Path
) -> None:
    settings = scenario_settings(stack_settings, unique_prefix, unique_database, tmp_path)
    bootstrap, topics = prepared(settings, unique_database)
    produce(bootstrap, topics.ref_devices, [(b"KK-DS-0001", device().model_dump_json().encode())])
    now = NOW_ISO
    messages: list[tuple[bytes | None, bytes | None]] = []
    for n, name in enumerate(sorted(EXPECTED)):
        messages.append((b"KK-DS-0001", plate_read_bytes(event_id=f"ev-good-{n:04d}", event_time=now)))
        messages.append((b"KK-DS-0001", as_sent_now(name)))
    messages.append((b"KK-DS-0001", plate_read_bytes(event_id="ev-good-last", event_time=now)))
    produce(bootstrap, topics.raw_plate_reads, messages)

    log_path = tmp_path / "worker.log"
    with running_worker(settings, log_path) as process:
        letters = [
            DeadLetter.model_validate_json(v)
            for _, v in read_topic(bootstrap, topics.dead_letter, len(EXPECTED))
        ]
        client = clickhouse_client(settings.clickhouse)
        good = len(EXPECTED) + 1
        wait_for(lambda: client.execute("SELECT count() FROM plate_reads_dedup")[0][0] == good, 60,
                 "every good message stored", log_path)  # fmt: skip
        metrics = (
            urllib.request.urlopen(f"http://127.0.0.1:{settings.pipeline.metrics_port}/metrics")
            .read()
            .decode()
        )
        assert process.poll() is None, "the worker stopped"

    by_offset = sorted(letters, key=lambda letter: letter.origin.offset)
    assert [letter.reason.value for letter in by_offset] == [EXPECTED[name] for name in sorted(EXPECTED)]
    for reason in set(EXPECTED.values()):
        count = sum(1 for r in EXPECTED.values() if r == reason)
        line = f'warmcity_dead_lettered_total{{family="vehicle_checkpoint",reason="{reason}"}} {count:.1f}'
        assert line in metrics, line

    # The corpus alternates with good messages: never more than half of what was seen, and fewer messages
    # than the invalid-share cap's minimum, so with the defaults the cap does not stop the worker; the gauge
    # shows the share it measured.
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
    }
    checkpoints = (("family", "vehicle_checkpoint"),)
    assert samples[("warmcity_invalid_share", checkpoints)] == pytest.approx(len(EXPECTED) / len(messages))
    assert samples.get(("warmcity_invalid_share_tripped_total", checkpoints), 0.0) == 0.0
