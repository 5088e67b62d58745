"""crowd.density: event-time windows per zone, early firing, hysteresis, escalation and late counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipeline.contracts.alert import Severity
from pipeline.contracts.camera import CrowdCount
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.rules.base import SubjectKind
from pipeline.rules.crowd_density import CrowdDensityRule
from pipeline.rules.settings import RuleSettings
from tests.unit.rule_factories import Table, at, crowd_count, refs, zone

CAPACITY = 1000


def crowd(settings: RuleSettings | None = None) -> Table:
    return Table(CrowdDensityRule(settings or RuleSettings()), refs(crowd_zones=[zone(CAPACITY)]))


def counts(
    values: list[int], start_s: float = 0.0, every_s: float = 10.0, camera: str = "CAM-KB-0002"
) -> list[EnrichedEvent]:
    return [crowd_count(v, at(start_s + n * every_s), device_id=camera) for n, v in enumerate(values)]


def over_capacity(item: EnrichedEvent) -> bool:
    return isinstance(item.event, CrowdCount) and item.event.count > CAPACITY


@pytest.mark.parametrize(
    ("values", "fires_at"),
    [([1100, 900, 1050], 2), ([1100, 1100, 1100, 1100], 2), ([1100, 800, 1000], None),
     ([1000, 1000, 1000], None), ([700] * 6, None), ([1001, 1001, 1001], 2),
     ([900, 1100, 950, 1200, 1300], 3), ([1100, 900, 900, 1100], None)],
)  # fmt: skip
def test_window_median_above_capacity_fires_once_it_has_three_counts(
    values: list[int], fires_at: int | None
) -> None:
    table = crowd()
    events = counts(values)
    found = [table.feed(e) for e in events]
    fired = [n for n, f in enumerate(found) if f]
    assert fired == ([] if fires_at is None else [fires_at])
    if fires_at is not None:
        detection = found[fires_at][0]
        assert (detection.rule, detection.subject, detection.subject_kind) == (
            "crowd.density",
            "SQ-KB-01-Z1",
            SubjectKind.ZONE_ID,
        )
        assert detection.severity is Severity.HIGH and detection.site_id == "SQ-KB-01"
        over = {e.event.event_id for e in events if over_capacity(e)}
        assert set(detection.evidence_event_ids) <= over


def test_a_sparse_window_fires_when_it_closes() -> None:
    table = crowd()
    assert table.feed(*counts([1300, 1200], every_s=30)) == []
    (found,) = table.feed(crowd_count(600, at(180)))  # the watermark passes [0, 60) + 120 s lateness
    assert found.severity is Severity.HIGH and len(found.evidence_event_ids) == 2


def test_one_glitch_count_is_not_a_crowd() -> None:
    table = crowd()
    table.feed(*counts([700, 5000, 700, 700, 700, 700]))
    table.tick(at(600))
    assert table.detections == []


def test_cameras_are_not_summed() -> None:
    table = crowd()
    both = [*counts([600] * 6, camera="CAM-A"), *counts([600] * 6, start_s=5, camera="CAM-B")]
    table.feed(*sorted(both, key=lambda e: e.event.event_time))
    table.tick(at(600))
    assert table.detections == []


def test_hysteresis_one_episode_while_hovering_then_a_clear() -> None:
    table = crowd()
    table.feed(*counts([1100] * 6))  # window 0: over
    table.feed(*counts([950] * 6, start_s=60))  # between 90% and 100%: still the same episode
    table.feed(*counts([1020] * 6, start_s=120))
    table.feed(*counts([920] * 6, start_s=180))
    assert [d.clears for d in table.detections] == [False]
    table.feed(*counts([900] * 6, start_s=240))  # 90% exactly: clears once the window closes
    table.tick(at(240 + 60 + 120))
    assert [d.clears for d in table.detections] == [False, True]
    assert table.detections[1].first_seen == table.detections[0].first_seen
    assert "back to 90%" in table.detections[1].summary


def test_escalates_once_to_critical() -> None:
    table = crowd()
    table.feed(*counts([1100] * 6))
    table.feed(*counts([1600] * 6, start_s=60))
    table.feed(*counts([1700] * 6, start_s=120))
    assert [d.severity for d in table.detections] == [Severity.HIGH, Severity.CRITICAL]


def test_late_count_in_an_open_window_counts_and_a_closed_one_is_dropped() -> None:
    table = crowd()
    table.feed(*counts([700] * 6))  # window [0, 60)
    table.feed(*counts([700] * 6, start_s=60))  # [60, 120)
    # Watermark 110 s: [0, 60) stays open until 180 s. Late counts into it lift its median above.
    table.feed(*(crowd_count(1400, at(n)) for n in range(1, 8)))
    assert len(table.detections) == 1
    table.feed(crowd_count(700, at(250)))  # watermark 250: [0, 60) and [60, 120) closed; the latter clears
    assert [d.clears for d in table.detections] == [False, True]
    (state,) = table.states.values()
    assert state.late_dropped == 0
    table.feed(crowd_count(5000, at(30)))
    (state,) = table.states.values()
    assert state.late_dropped == 1


def test_tick_closes_windows_of_a_silent_zone_and_clears() -> None:
    table = crowd()
    table.feed(*counts([1100] * 3))
    table.feed(*counts([500] * 3, start_s=60))
    assert table.tick(at(179)) == []
    assert table.tick(at(180)) == []  # [0, 60) closes, still over
    (cleared,) = table.tick(at(240))  # [60, 120) closes at 50%
    assert cleared.clears
    (state,) = table.states.values()
    assert state.windows == () and table.rule.due(state) is None
    assert table.feed(crowd_count(9000, at(100))) == []  # its window is final now
    assert table.states[next(iter(table.states))].late_dropped == 1


def test_unknown_zone_never_fires() -> None:
    table = Table(CrowdDensityRule())
    table.feed(*counts([5000] * 10))
    assert table.detections == [] and table.states == {}


def test_windows_in_state_are_bounded() -> None:
    table = crowd()
    table.feed(*counts([700] * 2000))
    (state,) = table.states.values()
    settings = RuleSettings()
    assert len(state.windows) <= settings.crowd_lateness / settings.crowd_window + 2
    assert table.state_bytes() < 4000


def test_the_scenario_surge_is_one_episode_with_a_clear() -> None:
    """Two cameras every 10 s, normal 30%, up to 135% in 3 min, a minute there, down to 80%, then normal."""
    table = crowd()
    events: list[EnrichedEvent] = []
    for camera, offset in (("CAM-A", 0.0), ("CAM-B", 5.0)):
        t = offset
        while t < 900:
            since = t - 60.0
            level = (
                0.3 if since < 0 else 0.3 + 1.05 * since / 180 if since < 180 else 1.35 if since < 240
                else 1.35 - 0.55 * (since - 240) / 120 if since < 360 else 0.3
            )  # fmt: skip
            events.append(crowd_count(int(CAPACITY * level), at(t), device_id=camera))
            t += 10.0
    table.feed(*sorted(events, key=lambda e: e.event.event_time))
    table.tick(at(1200))
    assert [(d.clears, d.severity) for d in table.detections] == [
        (False, Severity.HIGH),
        (True, Severity.HIGH),
    ]
    over = {e.event.event_id for e in events if over_capacity(e)}
    assert set(table.detections[0].evidence_event_ids) <= over
    assert set(table.detections[1].evidence_event_ids) <= over
    assert len(table.detections[1].evidence_event_ids) > len(table.detections[0].evidence_event_ids)


def test_lateness_and_window_are_settings() -> None:
    settings = RuleSettings(crowd_window=timedelta(seconds=30), crowd_lateness=timedelta(seconds=0))
    table = crowd(settings)
    table.feed(*counts([1100, 1100], every_s=10))
    (found,) = table.feed(crowd_count(100, at(30)))  # closes [0, 30) at once: no lateness allowed
    assert not found.clears
    table.feed(crowd_count(100, at(29)))
    assert table.states[next(iter(table.states))].late_dropped == 1
