"""device.offline, device.video_loss, device.tamper and school.emergency."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipeline.contracts.alert import Severity
from pipeline.rules.base import SubjectKind
from pipeline.rules.device_offline import OfflineRule
from pipeline.rules.device_tamper import TamperRule
from pipeline.rules.device_video_loss import VideoLossRule
from pipeline.rules.school_emergency import SchoolEmergencyRule
from pipeline.rules.settings import RuleSettings
from tests.unit.rule_factories import T0, Table, alarm, at, crowd_count, heartbeat, tamper, video_loss

# device.offline ----------------------------------------------------------------------------------------


def beating(until_s: int, every_s: int = 60) -> Table:
    table = Table(OfflineRule())
    table.feed(*(heartbeat(at(t), event_id=f"hb-{t:08d}") for t in range(0, until_s + 1, every_s)))
    return table


@pytest.mark.parametrize(("silent_s", "fires"), [(120, False), (180, False), (181, True), (600, True)])
def test_offline_strictly_after_the_setting(silent_s: int, fires: bool) -> None:
    table = beating(300)
    found = table.tick(at(300 + silent_s))
    assert bool(found) is fires
    if fires:
        (detection,) = found
        assert (detection.rule, detection.subject, detection.severity) == (
            "device.offline",
            "CAM-KB-0001",
            Severity.MEDIUM,
        )
        assert detection.evidence_event_ids == ("hb-00000300",)
        assert detection.first_seen == detection.last_seen == at(300)
        assert not detection.clears


def test_offline_fires_once_and_clears_on_the_next_heartbeat() -> None:
    table = beating(300)
    assert len(table.tick(at(500))) == 1
    assert table.tick(at(600)) == [] and table.tick(at(900)) == []
    (cleared,) = table.feed(heartbeat(at(960)))
    assert cleared.clears and cleared.subject == "CAM-KB-0001" and "back online" in cleared.summary
    assert table.tick(at(1000)) == []
    assert len(table.tick(at(960 + 181))) == 1  # and it can go offline again


def test_due_says_when_tick_can_change_anything() -> None:
    table = beating(300)
    (state,) = table.states.values()
    due = table.rule.due(state)
    assert due is not None and due > at(480)
    assert table.tick(due - timedelta(microseconds=1)) == []
    assert len(table.tick(due)) == 1


def test_late_or_replayed_heartbeats_say_nothing_about_now() -> None:
    table = beating(300)
    table.feed(heartbeat(at(120)), heartbeat(at(300), event_id="hb-00000300"))
    assert len(table.tick(at(481))) == 1
    assert table.feed(heartbeat(at(200))) == []  # an old one, late: still offline
    (cleared,) = table.feed(heartbeat(at(301)))  # a newer one, even if buffered: it is back
    assert cleared.clears


def test_other_events_of_a_camera_do_not_count_as_heartbeats() -> None:
    table = Table(OfflineRule())
    table.feed(crowd_count(10), tamper(), video_loss(True))
    assert table.states == {}
    assert table.tick(at(3600)) == []


def test_offline_device_is_forgotten_after_a_week() -> None:
    table = beating(0)
    table.tick(at(200))
    table.tick(at(0) + RuleSettings().device_forget_after)
    assert table.states
    table.tick(at(1) + RuleSettings().device_forget_after)
    assert table.states == {}


# device.video_loss -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lasting_s", "fires"), [(5, False), (120, False), (180, False), (181, True)])
def test_video_loss_needs_to_last(lasting_s: int, fires: bool) -> None:
    table = Table(VideoLossRule())
    table.feed(video_loss(True, T0))
    assert bool(table.tick(at(lasting_s))) is fires
    found = table.feed(video_loss(False, at(lasting_s)))  # back after exactly lasting_s
    assert bool(found) is fires  # a clear only for what was raised
    if fires:
        assert found[0].clears and found[0].subject == "CAM-KB-0001"


def test_background_drop_that_comes_back_in_two_minutes_raises_nothing() -> None:
    table = Table(VideoLossRule())
    table.feed(video_loss(True, T0), video_loss(False, at(110)))
    for minute in range(1, 40):
        table.tick(at(minutes=minute))
    assert table.detections == [] and table.states == {}


def test_loss_arriving_after_its_own_restore_is_old_news() -> None:
    table = Table(VideoLossRule())
    table.feed(video_loss(False, at(60)), video_loss(True, T0))  # the loss was buffered, sent late
    assert table.tick(at(600)) == []


def test_loss_raised_on_a_later_event_and_cleared_when_every_channel_is_back() -> None:
    table = Table(VideoLossRule())
    table.feed(video_loss(True, T0, channel=1))
    (raised,) = table.feed(video_loss(True, at(200), channel=2))
    assert raised.severity is Severity.MEDIUM and raised.first_seen == T0
    assert table.feed(video_loss(False, at(210), channel=1)) == []
    (cleared,) = table.feed(video_loss(False, at(220), channel=2))
    assert cleared.clears


def test_loss_past_the_grace_is_raised_on_its_restore_when_no_tick_came_in_between() -> None:
    # A worker catching up on a backlog (or a timer slower than the events) may apply the restore before
    # any tick saw the loss: the restore's own time shows the loss lasted 6 minutes: raise, then clear.
    table = Table(VideoLossRule())
    table.feed(video_loss(True, T0, channel=1))
    raised, cleared = table.feed(video_loss(False, at(360), channel=1))
    assert not raised.clears and raised.severity is Severity.MEDIUM and raised.first_seen == T0
    assert "for 6 min" in raised.summary
    assert cleared.clears and cleared.last_seen == at(360)
    assert table.tick(at(600)) == [] and table.feed(video_loss(False, at(400), channel=1)) == []


def test_a_later_loss_on_another_channel_raises_the_first_one_past_the_grace_once() -> None:
    table = Table(VideoLossRule())
    table.feed(video_loss(True, T0, channel=1))
    (raised,) = table.feed(video_loss(True, at(300), channel=2))  # channel 1: 300 s lost by now
    assert raised.first_seen == T0 and not raised.clears
    assert table.feed(video_loss(False, at(320), channel=1)) == []  # channel 2 still lost: no clear yet
    (cleared,) = table.feed(video_loss(False, at(330), channel=2))
    assert cleared.clears


def test_video_loss_state_is_bounded_by_channels() -> None:
    table = Table(VideoLossRule())
    for n in range(200):
        table.feed(video_loss(n % 2 == 0, at(n), channel=1 + n % 4))
    (state,) = table.states.values()
    assert len(state.channels) == 4


# device.tamper and school.emergency --------------------------------------------------------------------


@pytest.mark.parametrize(("score", "fires"), [(0.96, True), (0.5, True), (0.49, False)])
def test_tamper_fires_at_the_minimum_score(score: float, fires: bool) -> None:
    found = Table(TamperRule()).feed(tamper(score))
    assert bool(found) is fires
    if fires:
        assert (found[0].rule, found[0].severity, found[0].subject_kind) == (
            "device.tamper",
            Severity.HIGH,
            SubjectKind.DEVICE_ID,
        )


@pytest.mark.parametrize(
    ("site_id", "subject", "kind"),
    [("SC-KB-01", "SC-KB-01", SubjectKind.SITE_ID), (None, "SCH-KB-01-BTN", SubjectKind.DEVICE_ID)],
)
def test_real_alarm_press_is_critical_at_once(site_id: str | None, subject: str, kind: SubjectKind) -> None:
    (found,) = Table(SchoolEmergencyRule()).feed(alarm(test=False, site_id=site_id))
    assert (found.severity, found.subject, found.subject_kind) == (Severity.CRITICAL, subject, kind)


def test_test_presses_never_fire() -> None:
    table = Table(SchoolEmergencyRule())
    assert table.feed(*(alarm(test=True, when=at(n)) for n in range(10))) == []
    assert SchoolEmergencyRule().key(alarm(test=True)) is None
