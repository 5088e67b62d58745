"""Plate reads through the real Kafka and ClickHouse the project starts, with a real worker process."""

from __future__ import annotations

import base64
import urllib.request
from pathlib import Path

import orjson
import pytest

from pipeline.alerting.book import alert_key
from pipeline.contracts import Alert, Severity
from pipeline.contracts.dead_letter import DeadLetter
from pipeline.errors import RejectReason
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
from tests.unit.factories import device, plate_read_bytes, watch_entry

pytestmark = pytest.mark.integration

WATCHED = "蒙K8A888"
MALFORMED = b'{"schema": "plate_read", "lane": "x"'


def test_reads_are_enriched_alerted_dead_lettered_and_stored_once(
    stack_settings: Settings, unique_prefix: str, unique_database: str, tmp_path: Path
) -> None:
    settings = scenario_settings(stack_settings, unique_prefix, unique_database, tmp_path)
    bootstrap, topics = prepared(settings, unique_database)

    registry = [device("KK-DS-0001", ring="city"), device("KK-DS-0002")]
    produce(
        bootstrap,
        topics.ref_devices,
        [(d.device_id.encode(), d.model_dump_json().encode()) for d in registry],
    )
    entry = watch_entry(WATCHED, priority=2)
    produce(bootstrap, topics.ref_plate_watchlist, [(WATCHED.encode(), entry.model_dump_json().encode())])

    good = [
        (
            b"KK-DS-0002",
            plate_read_bytes(
                event_id=f"ev-it-{n:04d}", device_id="KK-DS-0002", plate=f"蒙K1{n:04d}", event_time=NOW_ISO
            ),
        )
        for n in range(20)
    ]
    watched = (b"KK-DS-0001", plate_read_bytes(event_id="ev-it-watched", plate=WATCHED, event_time=NOW_ISO))
    unknown = (
        b"KK-XX-0404",
        plate_read_bytes(event_id="ev-it-unknown", device_id="KK-XX-0404", event_time=NOW_ISO),
    )
    produce(
        bootstrap,
        topics.raw_plate_reads,
        [*good[:10], watched, (b"KK-DS-0002", MALFORMED), unknown, *good[10:]],
    )

    log_path = tmp_path / "worker.log"
    with running_worker(settings, log_path):
        alerts = read_topic(bootstrap, topics.alerts, expected=1)
        assert len(alerts) == 1, f"expected one alert, got {len(alerts)}; see {log_path}"
        key, value = alerts[0]
        alert = Alert.model_validate_json(value)
        assert key == alert_key("watchlist.plate", WATCHED).encode()
        assert alert.alert_id == f"al-{key.decode()}-1"
        assert (alert.rule, alert.subject, alert.device_id) == ("watchlist.plate", WATCHED, "KK-DS-0001")
        assert alert.severity is Severity.CRITICAL  # priority 2 is high; crossing the city ring raises it
        assert alert.evidence_event_ids == ("ev-it-watched",)
        assert alert.place is not None and alert.place.district == "Dongsheng"

        letters = [DeadLetter.model_validate_json(v) for _, v in read_topic(bootstrap, topics.dead_letter, 2)]
        by_reason = {letter.reason: letter for letter in letters}
        assert set(by_reason) == {RejectReason.NOT_JSON, RejectReason.UNKNOWN_DEVICE}
        assert base64.b64decode(by_reason[RejectReason.NOT_JSON].payload_b64) == MALFORMED
        assert by_reason[RejectReason.NOT_JSON].origin.topic == topics.raw_plate_reads
        assert "KK-XX-0404" in by_reason[RejectReason.UNKNOWN_DEVICE].detail

        client = clickhouse_client(settings.clickhouse)

        def stored(table: str) -> int:
            return int(client.execute(f"SELECT count() FROM {table}")[0][0])

        wait_for(lambda: stored("plate_reads_dedup") == 21, 60, "21 plate reads in ClickHouse", log_path)
        wait_for(lambda: stored("alerts_dedup") == 1, 60, "1 alert in ClickHouse", log_path)
        row = client.execute(
            "SELECT district, ring, watchlisted FROM plate_reads_dedup WHERE plate = %(p)s", {"p": WATCHED}
        )
        assert row == [("Dongsheng", "city", 1)]

        # A device retrying its sends: the same events again must not become new rows for analysts.
        produce(bootstrap, topics.raw_plate_reads, [*good, watched])
        wait_for(lambda: stored("plate_reads") >= 42, 60, "the replayed reads to be inserted", log_path)
        assert stored("plate_reads_dedup") == 21
        wait_for(lambda: stored("alerts") >= 2, 60, "the replayed alert to be inserted", log_path)
        assert stored("alerts_dedup") == 1

        metrics = urllib.request.urlopen(f"http://127.0.0.1:{settings.pipeline.metrics_port}/metrics").read()
        text = metrics.decode()
        assert 'warmcity_dead_lettered_total{family="vehicle_checkpoint",reason="not_json"} 1.0' in text
        assert 'warmcity_sink_rows_total{table="plate_reads"}' in text

    assert orjson.loads(value)["schema_version"] == 1
