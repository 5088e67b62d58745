"""The bad-input corpus (tests/data/bad) through the intake stages, and fuzzing of the validate stage."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.contracts import DeviceFamily
from pipeline.errors import InvalidEvent, RejectReason
from pipeline.stages.intake import IntakeContext, RawMessage, process_batch
from pipeline.stages.validate import validate_event
from tests.unit.factories import PSEUDONYMISER, device, plate_read_bytes

CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad"
EXPECTED: dict[str, str] = json.loads((CORPUS / "expected.json").read_text())
NOW = datetime(2026, 12, 1, 8, 30, 16, tzinfo=UTC)  # one second after the corpus's good event time


def test_every_corpus_file_has_an_expected_reason() -> None:
    files = {p.name for p in CORPUS.iterdir() if p.name not in {"expected.json", "README.md"}}
    assert files == set(EXPECTED)
    known = {reason.value for reason in RejectReason}
    assert not set(EXPECTED.values()) - known, f"unknown reasons: {set(EXPECTED.values()) - known}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_message_is_dead_lettered_with_its_reason_and_its_neighbours_pass(name: str) -> None:
    before = RawMessage("raw", 0, 1, b"KK-DS-0001", plate_read_bytes(event_id="ev-before-01"))
    bad = RawMessage("raw", 0, 2, b"KK-DS-0001", (CORPUS / name).read_bytes())
    after = RawMessage("raw", 0, 3, b"KK-DS-0001", plate_read_bytes(event_id="ev-after-001"))
    context = IntakeContext(PSEUDONYMISER, {"KK-DS-0001": device()}, {}, {})
    outcome = process_batch([before, bad, after], DeviceFamily.VEHICLE_CHECKPOINT, context, NOW)
    assert [e.event.event_id for e in outcome.enriched] == ["ev-before-01", "ev-after-001"]
    assert [(d.reason.value, d.origin.offset) for d in outcome.dead_letters] == [(EXPECTED[name], 2)]
    detail = outcome.dead_letters[0].detail
    assert detail and "\x1b" not in detail and "DROP TABLE" not in detail


GOOD = orjson.loads(plate_read_bytes())
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_rejected_or_accepted_never_crash(raw: bytes) -> None:
    try:
        validate_event(raw, DeviceFamily.VEHICLE_CHECKPOINT)
    except InvalidEvent as error:
        assert error.reason in set(RejectReason)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(GOOD)), JSON_VALUES)
def test_any_field_replaced_by_any_json_value_is_handled(field: str, value: object) -> None:
    document = {**GOOD, field: value}
    try:
        event = validate_event(orjson.dumps(document), DeviceFamily.VEHICLE_CHECKPOINT)
    except InvalidEvent as error:
        assert field in error.detail or error.reason is RejectReason.CONTROL_CHARACTER
    else:
        assert event.event_id
