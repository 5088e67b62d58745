"""``StageWork``: our per-event work as the hand-written loop and the naive Faust app run it."""

from __future__ import annotations

from datetime import timedelta

import orjson
from pydantic import SecretStr

from pipeline.bench.work import StageWork, build_stage_work
from pipeline.contracts import DeviceFamily
from pipeline.contracts.alert import Alert
from pipeline.rules.references import References
from pipeline.settings import (
    ClickHouseSettings,
    KafkaSettings,
    PipelineSettings,
    PrivacySettings,
    Settings,
    StackSettings,
)
from pipeline.stages.intake import RawMessage
from pipeline.topics import Topics
from tests.unit.factories import EVENT_TIME, TEST_KEY, device, plate_read_bytes, watch_entry

NOW = EVENT_TIME + timedelta(seconds=1)
OUTPUTS = Topics("bench-t-a2", 3, 1)
RAW = "bench-t.raw.vehicle_checkpoint"


def work() -> StageWork:
    settings = Settings(
        KafkaSettings(), ClickHouseSettings(), PipelineSettings(), StackSettings(),
        privacy=PrivacySettings(hmac_key=SecretStr(TEST_KEY.decode())),
    )  # fmt: skip
    refs = References.from_records(devices=[device()], plate_watchlist=[watch_entry("蒙K12345")])
    return build_stage_work(settings, refs, OUTPUTS)


def raw(value: bytes, offset: int = 0) -> RawMessage:
    return RawMessage(RAW, 1, offset, b"KK-DS-0001", value)


def test_a_watched_plate_is_enriched_stored_and_alerted() -> None:
    out = work().process([raw(plate_read_bytes())], DeviceFamily.VEHICLE_CHECKPOINT, NOW)
    assert (out.enriched, out.dead_letters, out.alerts) == (1, 0, 1)
    topics = [topic for topic, _, _ in out.records]
    assert topics == [OUTPUTS.enriched(DeviceFamily.VEHICLE_CHECKPOINT), OUTPUTS.alerts]
    enriched = orjson.loads(out.records[0][2])
    assert enriched["watchlisted"] is True and enriched["place"]["district"] == "Dongsheng"
    alert = Alert.model_validate_json(out.records[1][2])
    assert alert.rule == "watchlist.plate" and out.records[1][1] == alert.alert_id.split("-")[1].encode()
    assert [len(out.rows[t]) for t in ("plate_reads", "alerts")] == [1, 1]


def test_state_and_the_alert_book_carry_over_between_calls() -> None:
    stages = work()
    stages.process([raw(plate_read_bytes(event_id="ev-00000001"))], DeviceFamily.VEHICLE_CHECKPOINT, NOW)
    again = stages.process(
        [raw(plate_read_bytes(event_id="ev-00000002"), offset=1)], DeviceFamily.VEHICLE_CHECKPOINT, NOW
    )
    alert = Alert.model_validate_json(again.records[-1][2])
    assert alert.version == 2 and alert.count == 2  # merged into the open alert, not a new one
    assert len(stages.alert_book) == 1
    assert stages.rule_state  # the stateful plate rules keep their keys' state in process


def test_bad_input_becomes_a_dead_letter_and_nothing_else() -> None:
    out = work().process([raw(b"{not json")], DeviceFamily.VEHICLE_CHECKPOINT, NOW)
    assert (out.enriched, out.dead_letters, out.alerts) == (0, 1, 0)
    assert out.records[0][0] == OUTPUTS.dead_letter
    assert out.rows == {}


def test_rows_can_be_left_to_a_sink() -> None:
    out = work().process([raw(plate_read_bytes())], DeviceFamily.VEHICLE_CHECKPOINT, NOW, rows=False)
    assert out.enriched == 1 and out.rows == {}
