"""Each event rule's ``event_types`` is true: for an example of every other event type, in every variant
its fields allow here, ``key`` returns None; so the engine's index by type never hides an input."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.contracts.examples import EXAMPLES
from pipeline.contracts.families import EVENT_TYPES, FAMILIES
from pipeline.rules.catalogue import event_rules
from pipeline.rules.references import References
from pipeline.stages.validate import validate_document
from pipeline.worker.detection import DetectionEngine
from tests.unit.factories import PSEUDONYMISER
from tests.unit.rule_factories import enriched

# Field values that decide some rules' keys: denied access, real alarms, opened doors.
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "person_access": [{"granted": False}, {"granted": True}],
    "vehicle_access": [{"granted": False}, {"granted": True}],
    "campus_access": [{"granted": False}, {"granted": True}],
    "emergency_alarm": [{"test": False}, {"test": True}],
}


def examples() -> list[tuple[str, Any]]:
    found = []
    for schema, example in EXAMPLES.items():
        family = next(f for f, c in FAMILIES.items() if EVENT_TYPES[schema] in c.event_types)
        for change in VARIANTS.get(schema, [{}]):
            event = PSEUDONYMISER.pseudonymise(validate_document({**example, **change}, family))
            found.append((schema, enriched(event, site_id="SITE-1")))
    return found


@pytest.mark.parametrize("name", sorted(event_rules()))
def test_a_rule_takes_no_event_type_it_does_not_declare(name: str) -> None:
    rule: Any = event_rules()[name]
    assert rule.event_types, f"{name} declares no event types"
    for schema, item in examples():
        if not isinstance(item.event, rule.event_types):
            assert rule.key(item) is None, f"{name} takes {schema} but does not declare it"


def test_every_declared_type_reaches_its_rule_through_the_engine() -> None:
    engine = DetectionEngine(event_rules(), {}, References())
    for schema, item in examples():
        chosen = {rule.name for rule in engine.rules_for(type(item.event))}
        keyed = {name for name, rule in event_rules().items() if rule.key(item) is not None}
        assert keyed <= chosen, schema
