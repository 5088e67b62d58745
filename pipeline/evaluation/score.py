"""Precision, recall and duplicates per rule: the alerts the pipeline raised against the ground truth.

An expected alert is found when an alert of the same rule and subject shares evidence with it, or covers
its time span (give or take ``slack``). An alert that finds no expected alert is a false positive — on
background traffic nothing should fire. Duplicates count the alerts of one rule and subject that began
within the suppression window of the previous one: the alert book should make that zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, ConfigDict

from pipeline.contracts.alert import Alert


class ExpectedAlert(BaseModel):
    """One line of a ground-truth file (``warmcity simulate --ground-truth``)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    scenario: str
    rule: str
    subject: str
    evidence_event_ids: tuple[str, ...]
    first_event_time: AwareDatetime
    last_event_time: AwareDatetime


def read_ground_truth(path: Path) -> list[ExpectedAlert]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ExpectedAlert.model_validate_json(line) for line in lines if line.strip()]


@dataclass
class RuleScore:
    rule: str
    expected: int = 0
    raised: int = 0
    found: int = 0
    false_positives: int = 0
    duplicates: int = 0
    missed: list[str] = field(default_factory=list)  # 'scenario: subject' of each expected alert not found

    @property
    def precision(self) -> float:
        return self.found_alerts / self.raised if self.raised else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    @property
    def found_alerts(self) -> int:
        return self.raised - self.false_positives


def _matches(alert: Alert, expected: ExpectedAlert, slack: timedelta) -> bool:
    if alert.rule != expected.rule or alert.subject != expected.subject:
        return False
    if set(alert.evidence_event_ids) & set(expected.evidence_event_ids):
        return True
    return (
        alert.first_seen - slack <= expected.last_event_time
        and expected.first_event_time <= alert.last_seen + slack
    )


def _latest_versions(alerts: Iterable[Alert]) -> list[Alert]:
    latest: dict[str, Alert] = {}
    for alert in alerts:
        if alert.alert_id not in latest or alert.version > latest[alert.alert_id].version:
            latest[alert.alert_id] = alert
    return list(latest.values())


def score(
    expected: Sequence[ExpectedAlert],
    alerts: Iterable[Alert],
    suppression_window: timedelta = timedelta(minutes=30),
    slack: timedelta = timedelta(minutes=2),
) -> dict[str, RuleScore]:
    raised = _latest_versions(alerts)
    scores: dict[str, RuleScore] = {}
    for item in expected:
        scores.setdefault(item.rule, RuleScore(item.rule)).expected += 1
    for alert in raised:
        scores.setdefault(alert.rule, RuleScore(alert.rule)).raised += 1
    for item in expected:
        if any(_matches(alert, item, slack) for alert in raised):
            scores[item.rule].found += 1
        else:
            scores[item.rule].missed.append(f"{item.scenario}: {item.subject}")
    for alert in raised:
        if not any(_matches(alert, item, slack) for item in expected):
            scores[alert.rule].false_positives += 1
    by_subject: dict[tuple[str, str], list[Alert]] = defaultdict(list)
    for alert in raised:
        by_subject[(alert.rule, alert.subject)].append(alert)
    for (rule, _), group in by_subject.items():
        group.sort(key=lambda a: a.first_seen)
        scores[rule].duplicates += sum(
            1 for before, after in pairwise(group)
            if after.first_seen - before.last_seen <= suppression_window
        )  # fmt: skip
    return dict(sorted(scores.items()))


def worst(scores: dict[str, RuleScore]) -> tuple[float, float, int]:
    """The lowest precision, the lowest recall and the total duplicates over every rule."""
    values = list(scores.values())
    if not values:
        return 1.0, 1.0, 0
    return min(s.precision for s in values), min(s.recall for s in values), sum(s.duplicates for s in values)


def render_table(scores: dict[str, RuleScore]) -> str:
    rows = ["| rule | expected | raised | found | false positives | duplicates | precision | recall |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for s in scores.values():
        rows.append(
            f"| `{s.rule}` | {s.expected} | {s.raised} | {s.found} | {s.false_positives} | {s.duplicates} "
            f"| {s.precision:.3f} | {s.recall:.3f} |"
        )
    return "\n".join(rows)
