"""Each way the simulator breaks a plate read (``malform_event`` with the ``fault_table`` of ``PlateRead``, as
``CitySimulator`` does) makes it fail validation, in JSON and Python mode."""

from __future__ import annotations

import json
import random
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from pipeline.contracts.plate_read import PlateRead
from pipeline.simulate.malformed import MalformedKind, fault_table, malform_event

GOOD: dict[str, Any] = {
    "schema": "plate_read",
    "schema_version": 1,
    "event_id": "6b355297-2693-4531-896c-808b968c4d76",
    "device_id": "KK-DS-0001",
    "event_time": "2024-07-11T01:59:59.247863Z",
    "plate": "蒙K8A888",
    "plate_colour": "blue",
    "direction": "inbound",
    "lane": 2,
    "speed_kmh": 56.2,
    "vehicle_class": "car",
    "confidence": 0.968,
}

FAULTS = fault_table(PlateRead)


def assert_invalid(document: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        PlateRead.model_validate_json(json.dumps(document))
    with pytest.raises(ValidationError):
        PlateRead.model_validate(document)


def test_the_good_document_is_valid() -> None:
    PlateRead.model_validate(GOOD)


def test_the_fault_table_covers_every_field_of_the_contract() -> None:
    assert set(FAULTS.required) == set(GOOD) - {"schema", "schema_version"}
    assert {field for field, _ in FAULTS.wrong_types} == set(FAULTS.required)


@pytest.mark.parametrize("field", FAULTS.required)
def test_missing_required_field_is_invalid(field: str) -> None:
    assert_invalid({k: v for k, v in GOOD.items() if k != field})


@pytest.mark.parametrize(("field", "value"), FAULTS.wrong_types)
def test_wrong_type_is_invalid_even_in_lax_mode(field: str, value: Any) -> None:
    assert_invalid({**GOOD, field: value})


@pytest.mark.parametrize("seed", range(200))
def test_malform_always_breaks_the_message(seed: int) -> None:
    kind, value = malform_event(random.Random(seed), dict(GOOD), FAULTS)
    with pytest.raises(ValidationError):
        PlateRead.model_validate_json(value)
    if kind in {MalformedKind.NOT_JSON, MalformedKind.TRUNCATED_JSON}:
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(value)
    else:
        assert isinstance(orjson.loads(value), dict)


def test_malform_leaves_the_good_document_alone() -> None:
    document = dict(GOOD)
    for seed in range(50):
        malform_event(random.Random(seed), document, FAULTS)
    assert document == GOOD
