"""Scenarios: known situations injected into simulated traffic, each with the alerts it must raise.

``SCENARIOS`` names them; ``plan_scenarios`` builds a run's plan (messages, ground truth, reference data,
reservations) that ``CitySimulator`` merges into its background traffic.
"""

from pipeline.simulate.scenarios.base import (
    GroundTruth,
    Injection,
    ScenarioContext,
    ScenarioError,
    ScheduledMessage,
)
from pipeline.simulate.scenarios.catalogue import (
    ALL,
    SCENARIOS,
    Scenario,
    ScenarioPlan,
    plan_scenarios,
    resolve,
)

__all__ = [
    "ALL",
    "SCENARIOS",
    "GroundTruth",
    "Injection",
    "Scenario",
    "ScenarioContext",
    "ScenarioError",
    "ScenarioPlan",
    "ScheduledMessage",
    "plan_scenarios",
    "resolve",
]
