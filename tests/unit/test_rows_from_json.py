"""The sink's rows from the enriched topic's JSON equal the rows from the models, for every event type,
pseudonymised, watch-listed or not, with or without ring, site and subtype."""

from __future__ import annotations

import orjson
import pytest

from pipeline.contracts.examples import EXAMPLES
from pipeline.contracts.families import EVENT_TYPES, FAMILIES
from pipeline.stages.rows import device_event_row, device_event_row_of, plate_read_row, plate_read_row_of
from pipeline.stages.validate import validate_document
from tests.unit.factories import PSEUDONYMISER
from tests.unit.rule_factories import enriched


def family_of(schema: str) -> object:
    return next(f for f, contract in FAMILIES.items() if EVENT_TYPES[schema] in contract.event_types)


@pytest.mark.parametrize("schema", sorted(EXAMPLES))
@pytest.mark.parametrize("extras", [{}, {"ring": "inner", "site_id": "CS-DS-01", "subtype": "gate"}])
def test_rows_from_json_equal_rows_from_models(schema: str, extras: dict[str, str]) -> None:
    event = PSEUDONYMISER.pseudonymise(validate_document(dict(EXAMPLES[schema]), family_of(schema)))  # type: ignore[arg-type]
    item = enriched(event, **extras)  # type: ignore[arg-type]
    for watched in (False, True):
        item = item.model_copy(update={"watchlisted": watched})
        document = orjson.loads(item.model_dump_json(by_alias=True))
        assert device_event_row_of(document) == device_event_row(item)
        if schema == "plate_read":
            assert plate_read_row_of(document) == plate_read_row(item)


def test_a_plate_row_of_another_event_type_is_refused() -> None:
    event = validate_document(dict(EXAMPLES["camera_heartbeat"]), family_of("camera_heartbeat"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="plate reads"):
        plate_read_row_of(orjson.loads(enriched(event).model_dump_json(by_alias=True)))
