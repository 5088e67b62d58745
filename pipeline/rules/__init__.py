"""Detection rules: pure functions of an enriched event (or a detection) and a key's state.

``base`` holds the interface (``Detection``, ``Rule``, state (de)serialisation), ``references`` the
reference bundle rules read, ``settings`` every threshold, ``catalogue`` every rule by id; one module per
rule otherwise. No module here imports Faust or Kafka: the worker wires rules to topics and tables.
See docs/rules.md.
"""

from pipeline.rules.base import (
    Detection,
    DetectionRule,
    EventRule,
    NoState,
    Rule,
    Sighting,
    SubjectKind,
    dump_state,
    load_state,
)
from pipeline.rules.catalogue import RULE_IDS, detection_rules, event_rules
from pipeline.rules.references import References
from pipeline.rules.settings import RuleSettings

__all__ = [
    "RULE_IDS",
    "Detection",
    "DetectionRule",
    "EventRule",
    "NoState",
    "References",
    "Rule",
    "RuleSettings",
    "Sighting",
    "SubjectKind",
    "detection_rules",
    "dump_state",
    "event_rules",
    "load_state",
]
