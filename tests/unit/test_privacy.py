"""Person identifiers never leave intake in the clear: tokens in events, redaction in dead letters."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import orjson
import pytest

from pipeline.contracts import DeviceFamily, PersonWatchEntry
from pipeline.contracts.id_gate import IdVerification
from pipeline.contracts.school import CampusAccess
from pipeline.errors import RejectReason
from pipeline.stages.intake import IntakeContext, RawMessage, process_batch
from pipeline.stages.privacy import Pseudonymiser
from pipeline.stages.rows import device_event_row
from tests.unit.factories import EVENT_TIME, PSEUDONYMISER, device

ID_NUMBER = "15020219850312004X"
NAME = "王小明"
GATE = "IDG-RS01-01"


def gate_doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema": "id_verification",
        "schema_version": 1,
        "event_id": "ev-gate-0001",
        "device_id": GATE,
        "event_time": EVENT_TIME.isoformat(),
        "id_number": ID_NUMBER,
        "name": NAME,
        "face_similarity": 0.93,
        "result": "pass",
    }
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not ...}


def context(person_watchlist: dict[str, PersonWatchEntry] | None = None) -> IntakeContext:
    devices = {GATE: device(GATE, family=DeviceFamily.ID_GATE, site_id="RS-01")}
    return IntakeContext(PSEUDONYMISER, devices, {}, person_watchlist or {})


def run(*values: bytes, watch: dict[str, PersonWatchEntry] | None = None) -> Any:
    messages = [RawMessage("t.raw.id_gate", 0, n, GATE.encode(), v) for n, v in enumerate(values)]
    return process_batch(messages, DeviceFamily.ID_GATE, context(watch), EVENT_TIME + timedelta(seconds=1))


def test_token_is_stable_keyed_and_normalised() -> None:
    token = PSEUDONYMISER.token(ID_NUMBER)
    assert token.startswith("pt_") and len(token) == 27
    assert PSEUDONYMISER.token(" " + ID_NUMBER.lower() + " ") == token
    assert Pseudonymiser(b"another-key-of-enough-length").token(ID_NUMBER) != token
    assert ID_NUMBER not in token


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        Pseudonymiser(b"short")


def test_intake_replaces_every_person_field_and_rows_hold_only_tokens() -> None:
    outcome = run(orjson.dumps(gate_doc()))
    event = outcome.enriched[0].event
    assert isinstance(event, IdVerification)
    assert event.id_number == PSEUDONYMISER.token(ID_NUMBER)
    assert event.name == PSEUDONYMISER.token(NAME)
    row = repr(device_event_row(outcome.enriched[0]))
    assert ID_NUMBER not in row and NAME not in row
    assert PSEUDONYMISER.token(ID_NUMBER) in row
    assert outcome.enriched[0].model_dump_json().find(NAME) == -1


def test_absent_optional_person_fields_stay_absent() -> None:
    access = CampusAccess.model_validate(
        {
            "schema": "campus_access",
            "event_id": "ev-campus-1",
            "device_id": "SCH-DS-001-G",
            "event_time": EVENT_TIME,
            "gate": "north",
            "direction": "in",
            "holder_kind": "visitor",
            "granted": False,
        }
    )
    assert PSEUDONYMISER.pseudonymise(access).holder_id is None


def test_person_on_the_watch_list_is_matched_by_token() -> None:
    entry = PersonWatchEntry(
        subject_token=PSEUDONYMISER.token(ID_NUMBER), category="wanted", reason="fugitive", priority=1
    )
    outcome = run(orjson.dumps(gate_doc()), watch={entry.subject_token: entry})
    assert outcome.enriched[0].watchlisted is True


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (orjson.dumps(gate_doc(face_similarity="high")), RejectReason.SCHEMA),
        (orjson.dumps(gate_doc(result="deny")), RejectReason.SCHEMA),
        (orjson.dumps(gate_doc(idNumber=ID_NUMBER, name=NAME)), RejectReason.SCHEMA),
        (orjson.dumps(gate_doc(device_id="IDG-XX-99")), RejectReason.UNKNOWN_DEVICE),
        (orjson.dumps(gate_doc(result={"note": f"{NAME} {ID_NUMBER}"})), RejectReason.SCHEMA),
        (orjson.dumps(gate_doc(result=f"pass for {ID_NUMBER}")), RejectReason.SCHEMA),
        (orjson.dumps(gate_doc())[:-20], RejectReason.NOT_JSON),
        (f"id={ID_NUMBER};name={NAME}".encode(), RejectReason.NOT_JSON),
    ],
    ids=[
        "wrong-type",
        "deny-without-reason",
        "misnamed-field",
        "unknown-device",
        "nested",
        "id-in-text",
        "truncated",
        "not-json",
    ],
)
def test_dead_letters_of_person_families_carry_no_raw_identifier(value: bytes, reason: RejectReason) -> None:
    letter = run(value).dead_letters[0]
    assert letter.reason is reason
    stored = letter.model_dump_json() + base64.b64decode(letter.payload_b64).decode()
    assert ID_NUMBER not in stored and NAME not in stored
    assert letter.payload_redacted is True


def test_redacted_payload_keeps_known_fields_with_tokens() -> None:
    letter = run(orjson.dumps(gate_doc(face_similarity="high"))).dead_letters[0]
    kept = orjson.loads(base64.b64decode(letter.payload_b64))
    assert kept["id_number"] == PSEUDONYMISER.token(ID_NUMBER)
    assert kept["face_similarity"] == "high"
    assert kept["event_id"] == "ev-gate-0001"
