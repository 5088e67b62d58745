"""Due times of the rule state: the detect agent notes them as it stores states, the rules' timer reads
them back instead of decoding every stored state on every pass; what the engine says is due is the same
either way."""

from __future__ import annotations

from datetime import datetime, timedelta

from pipeline.rules.catalogue import detection_rules, event_rules
from pipeline.rules.references import References
from pipeline.rules.settings import RuleSettings
from pipeline.worker.detection import DetectionEngine, RuleInput
from pipeline.worker.due_times import DueTimes
from tests.unit.rule_factories import T0, heartbeat, plate_read

OFFLINE_AFTER = RuleSettings().offline_after


def engine() -> DetectionEngine:
    settings = RuleSettings()
    return DetectionEngine(event_rules(settings), detection_rules(settings), References.from_records())


def test_a_due_time_is_decoded_once_then_remembered_until_noted_again() -> None:
    times, calls = DueTimes(), []

    def decode() -> datetime:
        calls.append(1)
        return T0

    assert times.due(b"k", decode) == T0 and times.due(b"k", decode) == T0
    assert len(calls) == 1
    times.note(b"k", T0 + timedelta(minutes=1))
    assert times.due(b"k", decode) == T0 + timedelta(minutes=1) and len(calls) == 1
    times.note(b"k", None)  # stored, never due: remembered as such
    assert times.due(b"k", decode) is None and len(calls) == 1
    times.note(b"k", None, deleted=True)
    assert len(times) == 0
    assert times.due(b"k", decode) == T0 and len(calls) == 2
    times.clear()
    assert len(times) == 0


def test_what_apply_says_is_due_is_what_decoding_the_stored_state_says() -> None:
    detect = engine()
    beat = RuleInput(rule="device.offline", key="CAM-KB-0001", enriched=heartbeat(when=T0))
    applied = detect.applied(beat, None)
    assert applied.changed and applied.stored is not None
    assert applied.due is not None and timedelta(0) <= applied.due - (T0 + OFFLINE_AFTER) < timedelta(
        seconds=1
    )
    assert detect.due_of("device.offline|CAM-KB-0001", applied.stored) == applied.due
    assert detect.apply(beat, None) == (applied.stored, applied.detections)


def test_a_tick_that_acts_reports_the_new_due_and_one_that_does_not_changes_nothing() -> None:
    detect = engine()
    stored = detect.applied(RuleInput(rule="device.offline", key="CAM-KB-0001", enriched=heartbeat()), None)
    assert stored.stored is not None
    tick = RuleInput(rule="device.offline", key="CAM-KB-0001", tick=True)
    early = detect.applied(tick, stored.stored)  # the stream clock has seen nothing: not due
    assert not early.changed and early.stored == stored.stored and early.detections == []
    detect.clock.saw(("raw.video_camera", 0), T0 + OFFLINE_AFTER + timedelta(seconds=1))
    late = detect.applied(tick, stored.stored)
    assert late.changed and [d.rule for d in late.detections] == ["device.offline"]
    assert late.stored is not None
    assert late.due == detect.due_of("device.offline|CAM-KB-0001", late.stored)


def test_rules_without_ticks_are_never_due_and_plate_states_expire_after_their_history() -> None:
    detect = engine()
    read = plate_read(when=T0)
    cloned = detect.applied(RuleInput(rule="plate.cloned", key="蒙K12345", enriched=read), None)
    assert cloned.changed and cloned.due == T0 + RuleSettings().plate_history
    assert detect.due_of("no.such_rule|x", b"{}") is None
    assert detect.applied(RuleInput(rule="no.such_rule", key="x", enriched=read), b"{}").changed is False
