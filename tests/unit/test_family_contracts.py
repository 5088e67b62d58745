"""Every family's contracts through the validate stage: examples pass, typical device mistakes are named."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from pipeline.contracts import DeviceFamily
from pipeline.contracts.examples import EXAMPLES
from pipeline.contracts.families import FAMILIES, schema_name_of
from pipeline.errors import InvalidEvent, RejectReason
from pipeline.stages.validate import validate_event

CASES = [(family, schema_name_of(t)) for family, c in FAMILIES.items() for t in c.event_types]


def example(name: str, **changes: Any) -> bytes:
    doc = {**EXAMPLES[name], **changes}
    return orjson.dumps({k: v for k, v in doc.items() if v is not ...})


@pytest.mark.parametrize(("family", "name"), CASES, ids=[n for _, n in CASES])
def test_each_example_validates_on_its_family_topic(family: DeviceFamily, name: str) -> None:
    assert validate_event(example(name), family).schema_name == name


@pytest.mark.parametrize(("family", "name"), CASES, ids=[n for _, n in CASES])
def test_an_unknown_schema_version_is_rejected(family: DeviceFamily, name: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        validate_event(example(name, schema_version=2), family)
    assert caught.value.reason is RejectReason.SCHEMA
    assert "schema_version" in caught.value.detail


@pytest.mark.parametrize(("family", "name"), CASES, ids=[n for _, n in CASES])
def test_a_missing_event_time_is_named(family: DeviceFamily, name: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        validate_event(example(name, event_time=...), family)
    assert "event_time: Field required" in caught.value.detail


def test_an_event_of_another_family_is_rejected_naming_the_expected_types() -> None:
    with pytest.raises(InvalidEvent) as caught:
        validate_event(example("crowd_count"), DeviceFamily.SCHOOL)
    assert caught.value.reason is RejectReason.SCHEMA
    assert "emergency_alarm" in caught.value.detail and "campus_access" in caught.value.detail


@pytest.mark.parametrize(
    ("name", "changes", "field"),
    [
        ("id_verification", {"result": "pass", "deny_reason": "face_mismatch"}, "deny_reason"),
        ("id_verification", {"id_number": "1506021987"}, "id_number"),
        ("id_verification", {"face_similarity": 1.5}, "face_similarity"),
        ("crowd_count", {"count": -1}, "count"),
        ("camera_tamper", {"kind": "painted"}, "kind"),
        ("depot_inventory", {"unit": "tonne"}, "unit"),
        ("transport_position", {"heading_deg": 360}, "heading_deg"),
        ("face_capture", {"similarity": "0.9x"}, "similarity"),
        ("vehicle_access", {"plate": "蒙K"}, "plate"),
    ],
)
def test_typical_device_mistakes_name_the_field(name: str, changes: dict[str, Any], field: str) -> None:
    family = next(f for f, c in FAMILIES.items() if name in c.schema_names)
    with pytest.raises(InvalidEvent) as caught:
        validate_event(example(name, **changes), family)
    assert field in caught.value.detail
    for value in changes.values():
        if isinstance(value, str) and len(value) > 3:
            assert value not in caught.value.detail  # the detail names the field, never echoes the value


def test_plates_are_normalised_in_every_family_that_carries_one() -> None:
    event = validate_event(example("transport_position", plate="蒙k 3e-821"), DeviceFamily.EXPLOSIVES)
    assert getattr(event, "plate") == "蒙K3E821"  # noqa: B009
