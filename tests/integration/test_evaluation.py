"""Every scenario of the small city through the live pipeline: every rule exercised, at precision and
recall >= 0.99, and no rule and subject with two alerts inside one suppression window (issue 4's bar)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pydantic import SecretStr

from pipeline.evaluation.run import EvaluationOptions, run_evaluation
from pipeline.evaluation.score import render_table, worst
from pipeline.rules.catalogue import RULE_IDS
from pipeline.settings import PrivacySettings, Settings
from tests.unit.factories import TEST_KEY

pytestmark = pytest.mark.integration


def test_every_scenario_raises_exactly_its_alerts(stack_settings: Settings) -> None:
    settings = replace(stack_settings, privacy=PrivacySettings(hmac_key=SecretStr(TEST_KEY.decode())))
    lines: list[str] = []
    result = run_evaluation(settings, EvaluationOptions(profile="small", scenarios=("all",)), lines.append)
    table = render_table(result.scores)
    precision, recall, duplicates = worst(result.scores)
    assert result.expected, "the scenarios produced no ground truth"
    assert precision >= 0.99 and recall >= 0.99 and duplicates == 0, f"{table}\n" + "\n".join(lines)
    exercised = {rule for rule, s in result.scores.items() if s.expected}
    assert exercised == set(RULE_IDS), f"not exercised: {sorted(set(RULE_IDS) - exercised)}"
