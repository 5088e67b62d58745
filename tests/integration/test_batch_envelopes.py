"""Gateway envelopes and single-event messages on one raw topic, through a real worker: every good event
stored once, the bad event inside an envelope dead-lettered alone with its index, a malformed envelope
dead-lettered whole, and the watched plate inside an envelope raising its alert."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from pipeline.contracts import PlateWatchEntry
from pipeline.contracts.batch import count_header
from pipeline.contracts.dead_letter import DeadLetter
from pipeline.settings import Settings
from pipeline.simulate.gateway import envelope
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


def produce_with_headers(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes, int | None]]) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for key, value, n in messages:
        headers = count_header(n) if n is not None else None
        producer.produce(topic, key=key, value=value, headers=headers)  # type: ignore[arg-type]
    assert producer.flush(30) == 0


def test_envelopes_and_single_events_through_a_worker(
    stack_settings: Settings, unique_prefix: str, unique_database: str, tmp_path: Path
) -> None:
    settings = scenario_settings(stack_settings, unique_prefix, unique_database, tmp_path)
    bootstrap, topics = prepared(settings, unique_database)
    produce(bootstrap, topics.ref_devices, [(b"KK-DS-0001", device().model_dump_json().encode())])
    watched = PlateWatchEntry(plate="蒙K99999", category="wanted", reason="test", priority=1)
    produce(
        bootstrap, topics.ref_plate_watchlist, [("蒙K99999".encode(), watched.model_dump_json().encode())]
    )

    def read(n: int, **changes: object) -> bytes:
        return plate_read_bytes(
            event_id=f"ev-env-{n:04d}", plate=f"蒙K{n:05d}", event_time=NOW_ISO, **changes
        )

    first = [read(n) for n in range(40)]
    second = [read(n) for n in range(40, 80)]
    second[7] = read(47, speed_kmh="fast")  # one bad event in an envelope
    second[12] = plate_read_bytes(event_id="ev-env-watched", plate="蒙K99999", event_time=NOW_ISO)
    malformed = orjson.dumps(
        {"schema": "event_batch", "schema_version": 9, "events": [orjson.loads(read(999))]}
    )
    messages: list[tuple[bytes, bytes, int | None]] = [
        (b"GW-1", envelope("GW-1", first), 40),
        (b"GW-1", read(100), None),  # single events still accepted beside envelopes
        (b"GW-1", envelope("GW-1", second), None),  # no n header: the worker estimates
        (b"GW-1", malformed, 1),
        (b"GW-1", read(101), None),
    ]  # one key: one partition, offsets 0 to 4
    produce_with_headers(bootstrap, topics.raw_plate_reads, messages)

    log_path = tmp_path / "worker.log"
    with running_worker(settings, log_path):
        client = clickhouse_client(settings.clickhouse)
        expected = 40 + 39 + 2  # all good events of both envelopes and the two singles
        wait_for(lambda: client.execute("SELECT count() FROM plate_reads_dedup")[0][0] == expected, 90,
                 f"{expected} plate reads stored", log_path)  # fmt: skip
        letters = [DeadLetter.model_validate_json(v) for _, v in read_topic(bootstrap, topics.dead_letter, 2)]
        alerts = read_topic(bootstrap, topics.alerts, 1)
        stored = client.execute("SELECT count(), uniqExact(event_id) FROM plate_reads")[0]

    assert stored[0] == stored[1] == expected  # nothing twice in the raw table either
    by_reason = {letter.reason.value: letter for letter in letters}
    assert set(by_reason) == {"schema", "bad_batch"}
    assert (by_reason["schema"].origin.offset, by_reason["schema"].origin.index) == (2, 7)
    assert "speed_kmh" in by_reason["schema"].detail
    assert (by_reason["bad_batch"].origin.offset, by_reason["bad_batch"].origin.index) == (3, None)
    assert by_reason["bad_batch"].detail.startswith("schema_version")
    assert any(b"ev-env-watched" in value for _, value in alerts)
