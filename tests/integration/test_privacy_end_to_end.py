"""No raw ID number or name leaves intake: not in ClickHouse, the alerts, the dead letters, the enriched
topics, nor the worker's log. Person-family events with raw identifiers, good and bad, go through a real
worker on the real stack; then every place they could have reached is searched for the raw values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from pipeline.contracts import DeviceFamily, PersonWatchEntry
from pipeline.settings import Settings
from pipeline.stages.privacy import Pseudonymiser
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
from tests.unit.factories import TEST_KEY, device

pytestmark = pytest.mark.integration

PEOPLE = [("150602198703150012", "李建国"), ("15062719900101002X", "张丽"), ("150621197512240035", "巴特尔")]
GATE, FACE, SCHOOL_GATE, COMMUNITY_GATE, DEPOT_DOOR = (
    "IDG-RS01-01", "FR-DS-0001", "SCH-DS-001-G", "COM-DS-0001-P", "EXD-DP01-D",
)  # fmt: skip
DEVICES = {
    GATE: DeviceFamily.ID_GATE,
    FACE: DeviceFamily.FACE_RECOGNITION,
    SCHOOL_GATE: DeviceFamily.SCHOOL,
    COMMUNITY_GATE: DeviceFamily.COMMUNITY,
    DEPOT_DOOR: DeviceFamily.EXPLOSIVES,
}


def envelope(schema: str, device_id: str, n: int) -> dict[str, Any]:
    return {"schema": schema, "event_id": f"ev-priv-{schema}-{n}", "device_id": device_id,
            "event_time": NOW_ISO}  # fmt: skip


def person_events(id_number: str, name: str, n: int) -> dict[DeviceFamily, list[bytes]]:
    gate = {**envelope("id_verification", GATE, n), "id_number": id_number, "name": name,
            "face_similarity": 0.91, "result": "pass"}  # fmt: skip
    face = {**envelope("face_capture", FACE, n), "capture_id": f"cap-{n}", "face_template_id": f"FT{n:08d}",
            "candidate_id_number": id_number, "similarity": 0.95, "quality": 0.8}  # fmt: skip
    campus = {**envelope("campus_access", SCHOOL_GATE, n), "gate": "north", "direction": "in",
              "holder_kind": "parent", "holder_id": id_number, "granted": True}  # fmt: skip
    community = {**envelope("person_access", COMMUNITY_GATE, n), "gate": "east", "direction": "in",
                 "method": "card", "holder_id": id_number, "granted": False}  # fmt: skip
    depot = {
        **envelope("depot_door", DEPOT_DOOR, n),
        "door": "main",
        "action": "open",
        "operator_id": id_number,
    }
    bad_gate = {**gate, "event_id": f"ev-priv-bad-{n}", "face_similarity": "high", "idNumber": id_number}
    return {
        DeviceFamily.ID_GATE: [
            orjson.dumps(gate),
            orjson.dumps(bad_gate),
            orjson.dumps(gate)[:-15],  # truncated: the name and ID are in what is left
            f"id_number={id_number} name={name}".encode(),
        ],
        DeviceFamily.FACE_RECOGNITION: [orjson.dumps(face)],
        DeviceFamily.SCHOOL: [orjson.dumps(campus)],
        DeviceFamily.COMMUNITY: [orjson.dumps(community), orjson.dumps({**community, "granted": "maybe"})],
        DeviceFamily.EXPLOSIVES: [orjson.dumps(depot)],
    }


def test_no_raw_identifier_reaches_storage_topics_or_logs(
    stack_settings: Settings, unique_prefix: str, unique_database: str, tmp_path: Path
) -> None:
    settings = scenario_settings(stack_settings, unique_prefix, unique_database, tmp_path)
    bootstrap, topics = prepared(settings, unique_database)

    registry = [device(device_id, family=family, site_id="SITE-01") for device_id, family in DEVICES.items()]
    produce(
        bootstrap,
        topics.ref_devices,
        [(d.device_id.encode(), d.model_dump_json().encode()) for d in registry],
    )
    wanted = PersonWatchEntry(
        subject_token=Pseudonymiser(TEST_KEY).token(PEOPLE[0][0]), category="wanted", reason="fugitive"
    )
    produce(
        bootstrap,
        topics.reference("watchlist.persons"),
        [(wanted.subject_token.encode(), wanted.model_dump_json().encode())],
    )

    sent: dict[DeviceFamily, int] = dict.fromkeys(DeviceFamily, 0)
    for n, (id_number, name) in enumerate(PEOPLE):
        for family, values in person_events(id_number, name, n).items():
            device_id = next(d for d, f in DEVICES.items() if f is family)
            produce(bootstrap, topics.raw(family), [(device_id.encode(), v) for v in values])
            sent[family] += len(values)
    good_per_person = 5  # gate, face, campus, community, depot
    bad_per_person = 4  # wrong-type gate, truncated gate, text gate, wrong-type community

    log_path = tmp_path / "worker.log"
    with running_worker(settings, log_path):
        client = clickhouse_client(settings.clickhouse)
        expected_rows = good_per_person * len(PEOPLE)
        wait_for(
            lambda: client.execute("SELECT count() FROM device_events_dedup")[0][0] == expected_rows,
            60,
            f"{expected_rows} person-family events in ClickHouse",
            log_path,
        )
        letters = read_topic(bootstrap, topics.dead_letter, bad_per_person * len(PEOPLE))
        assert len(letters) == bad_per_person * len(PEOPLE)
        enriched = [
            m for f in DeviceFamily for m in read_topic(bootstrap, topics.enriched(f), sent[f], timeout_s=3)
        ]
        alerts = read_topic(bootstrap, topics.alerts, 1, timeout_s=3)
        stored = client.execute("SELECT * FROM device_events FORMAT TSV")
        watched = client.execute("SELECT count() FROM device_events_dedup WHERE watchlisted = 1")[0][0]

    places = {
        "ClickHouse device_events": repr(stored),
        "dead-letter topic": repr(letters) + "".join(v.decode("utf-8", "replace") for _, v in letters),
        "enriched topics": "".join(v.decode() for _, v in enriched),
        "alerts topic": "".join(v.decode() for _, v in alerts),
        "worker log": log_path.read_text(errors="replace"),
    }
    for where, text in places.items():
        for id_number, name in PEOPLE:
            assert id_number not in text, f"a raw ID number reached the {where}"
            assert name not in text, f"a raw name reached the {where}"
    assert Pseudonymiser(TEST_KEY).token(PEOPLE[0][0]) in places["ClickHouse device_events"]
    assert watched == 5  # every event of the wanted person was flagged, matched on the token alone
