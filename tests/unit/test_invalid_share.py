"""The invalid-share guard: a sliding window per family, a minimum before it judges, a cap it trips over."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.contracts import DeviceFamily
from pipeline.contracts.dead_letter import DeadLetter, Origin
from pipeline.errors import RejectReason
from pipeline.settings import PipelineSettings
from pipeline.stages.intake import RawMessage
from pipeline.stages.invalid_share import (
    CAP_SETTING,
    InvalidShareCap,
    InvalidShareExceeded,
    InvalidShareGuard,
    Outcome,
    batch_outcomes,
)

CARS, SCHOOLS = DeviceFamily.VEHICLE_CHECKPOINT, DeviceFamily.SCHOOL
BAD, GOOD = RejectReason.NOT_JSON, None


def guard(max_share: float = 0.5, window: int = 10, min_messages: int = 4) -> InvalidShareGuard:
    return InvalidShareGuard(InvalidShareCap(max_share=max_share, window=window, min_messages=min_messages))


def test_defaults_come_from_the_settings() -> None:
    settings = PipelineSettings()
    assert (settings.max_invalid_share, settings.invalid_share_window) == (0.5, 1000)
    assert settings.invalid_share_min_messages == 100
    assert InvalidShareCap() == InvalidShareCap(0.5, 1000, 100)


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CAP_SETTING, "0.9")
    monkeypatch.setenv("WARMCITY_PIPELINE_INVALID_SHARE_WINDOW", "50")
    monkeypatch.setenv("WARMCITY_PIPELINE_INVALID_SHARE_MIN_MESSAGES", "20")
    settings = PipelineSettings()
    assert (settings.max_invalid_share, settings.invalid_share_window) == (0.9, 50)
    assert settings.invalid_share_min_messages == 20


@pytest.mark.parametrize(
    ("max_share", "window", "min_messages"),
    [(-0.1, 10, 1), (1.5, 10, 1), (0.5, 0, 1), (0.5, 10, 0), (0.5, 10, 11)],
)
def test_a_cap_out_of_range_is_refused(max_share: float, window: int, min_messages: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        InvalidShareCap(max_share, window, min_messages)


def test_one_bad_message_at_start_up_does_not_trip() -> None:
    g = guard()
    assert g.observe(CARS, [BAD]) is None
    assert g.share(CARS) == 1.0
    assert g.observe(CARS, [BAD, BAD]) is None  # 3 seen, still below the minimum of 4


def test_trips_once_the_minimum_is_reached_and_the_share_is_over_the_cap() -> None:
    g = guard()
    assert g.observe(CARS, [BAD, BAD, BAD]) is None
    trip = g.observe(CARS, [BAD])
    assert trip is not None
    assert (trip.family, trip.invalid, trip.seen, trip.share, trip.batch) == (CARS, 4, 4, 1.0, 1)


def test_a_share_equal_to_the_cap_does_not_trip() -> None:
    assert guard().observe(CARS, [BAD, GOOD] * 5) is None  # exactly 50 %
    assert guard().observe(CARS, [GOOD, BAD] * 5 + [BAD]) is not None  # 6 of 10 once the first falls out


def test_old_messages_fall_out_of_the_window() -> None:
    g = guard(window=10)
    assert g.observe(CARS, [BAD] * 3 + [GOOD] * 7) is None  # 30 %
    assert g.observe(CARS, [BAD] * 3) is None  # the first three bad ones fell out: still 3 of 10
    assert g.share(CARS) == pytest.approx(0.3)
    assert g.seen(CARS) == 10
    trip = g.observe(CARS, [BAD] * 3)  # 6 of the last 10
    assert trip is not None
    assert (trip.invalid, trip.seen) == (6, 10)


def test_a_burst_is_forgiven_once_good_traffic_follows() -> None:
    g = guard(window=10, min_messages=10)
    assert g.observe(CARS, [GOOD] * 6 + [BAD] * 4) is None
    assert g.observe(CARS, [GOOD] * 10) is None
    assert g.share(CARS) == 0.0


def test_families_are_judged_apart() -> None:
    g = guard()
    assert g.observe(CARS, [GOOD] * 100) is None
    trip = g.observe(SCHOOLS, [BAD] * 4)
    assert trip is not None
    assert trip.family is SCHOOLS
    assert g.share(CARS) == 0.0


def test_a_cap_of_one_never_trips() -> None:
    g = guard(max_share=1.0)
    assert g.observe(CARS, [BAD] * 1000) is None
    assert g.share(CARS) == 1.0


def test_a_cap_of_zero_trips_on_any_dead_letter_once_the_minimum_was_seen() -> None:
    g = guard(max_share=0.0)
    assert g.observe(CARS, [GOOD] * 10) is None
    assert g.observe(CARS, [RejectReason.SCHEMA]) is not None


def test_a_batch_larger_than_the_window_is_judged_on_its_last_messages() -> None:
    g = guard(window=10)
    assert g.observe(CARS, [BAD] * 50 + [GOOD] * 10) is None
    trip = guard(window=10).observe(CARS, [GOOD] * 50 + [BAD] * 10)
    assert trip is not None
    assert (trip.invalid, trip.seen, trip.batch) == (10, 10, 60)


def test_the_trip_names_family_share_cap_top_reasons_and_the_setting() -> None:
    g = guard(window=20, min_messages=20)
    outcomes: list[Outcome] = (
        [RejectReason.SCHEMA] * 7
        + [RejectReason.NOT_JSON] * 5
        + [RejectReason.UNKNOWN_DEVICE] * 2
        + [RejectReason.EMPTY] * 2
        + [GOOD] * 4
    )
    trip = g.observe(CARS, outcomes)
    assert trip is not None
    assert trip.top_reasons == (
        (RejectReason.SCHEMA, 7),
        (RejectReason.NOT_JSON, 5),
        (RejectReason.EMPTY, 2),  # ties ordered by name, so the message is stable
    )
    text = trip.describe()
    for part in ("vehicle_checkpoint", "80.0%", "last 20 messages", "cap of 50.0%", "schema 7", "not_json 5",
                 "empty 2", CAP_SETTING, "1.0 disables", "20 messages"):  # fmt: skip
        assert part in text, part
    assert "unknown_device" not in text
    assert str(InvalidShareExceeded(trip)) == text
    assert InvalidShareExceeded(trip).trip is trip


def test_batch_outcomes_follow_message_order_and_match_dead_letters_by_origin() -> None:
    messages = [RawMessage("raw", p, o, None, b"x") for p, o in [(0, 5), (1, 5), (0, 6), (2, 0)]]
    now = datetime.now(UTC)
    letters = [
        DeadLetter(reason=reason, detail="d", origin=Origin(topic="raw", partition=p, offset=o), key=None,
                   payload_b64="", payload_sha256="0", rejected_at=now)
        for reason, p, o in [(RejectReason.SCHEMA, 2, 0), (RejectReason.EMPTY, 1, 5)]
    ]  # fmt: skip
    assert batch_outcomes(messages, letters) == [GOOD, RejectReason.EMPTY, GOOD, RejectReason.SCHEMA]
    assert batch_outcomes(messages, []) == [GOOD] * 4
    # Given the accepted events' messages, the same outcomes for single-event messages...
    assert batch_outcomes(messages, letters, [messages[0], messages[2]]) == [GOOD, RejectReason.EMPTY, GOOD,
                                                                             RejectReason.SCHEMA]  # fmt: skip


def test_an_envelope_counts_each_of_its_events() -> None:
    envelope, single = RawMessage("raw", 0, 7, None, b"[...]"), RawMessage("raw", 0, 8, None, b"{}")
    now = datetime.now(UTC)
    letters = [
        DeadLetter(reason=RejectReason.SCHEMA, detail="d",
                   origin=Origin(topic="raw", partition=0, offset=7, index=i),
                   key=None, payload_b64="", payload_sha256="0", rejected_at=now)
        for i in (2, 5)
    ]  # fmt: skip
    outcomes = batch_outcomes([envelope, single], letters, [envelope] * 8 + [single])
    assert outcomes == [RejectReason.SCHEMA] * 2 + [GOOD] * 8 + [GOOD]


# Properties against a model that keeps every outcome and recounts.

outcome_st = st.one_of(st.none(), st.sampled_from(list(RejectReason)))
batches_st = st.lists(st.lists(outcome_st, max_size=30), max_size=25)
caps_st = st.builds(
    lambda max_share, window, fraction: InvalidShareCap(max_share, window, max(1, round(window * fraction))),
    st.floats(0.0, 1.0),
    st.integers(1, 60),
    st.floats(0.0, 1.0),
)


@given(caps_st, batches_st)
def test_the_guard_agrees_with_a_recount_of_the_last_window_messages(
    cap: InvalidShareCap, batches: list[list[Outcome]]
) -> None:
    g = InvalidShareGuard(cap)
    history: list[Outcome] = []
    for batch in batches:
        trip = g.observe(CARS, batch)
        history.extend(batch)
        last = history[-cap.window :]
        invalid = sum(1 for o in last if o is not None)
        share = invalid / len(last) if last else 0.0
        assert g.share(CARS) == pytest.approx(share)
        should_trip = len(last) >= cap.min_messages and share > cap.max_share
        assert (trip is not None) == should_trip
        if trip is not None:
            assert (trip.invalid, trip.seen, trip.batch) == (invalid, len(last), len(batch))
            counts = Counter(o for o in last if o is not None)
            assert dict(trip.top_reasons) == {r: counts[r] for r, _ in trip.top_reasons}
            assert [c for _, c in trip.top_reasons] == sorted(counts.values(), reverse=True)[
                : len(trip.top_reasons)
            ]


@given(caps_st, st.lists(outcome_st, max_size=200), st.data())
def test_how_a_stream_is_cut_into_batches_changes_only_when_it_is_judged(
    cap: InvalidShareCap, stream: list[Outcome], data: st.DataObject
) -> None:
    cuts = sorted(data.draw(st.sets(st.integers(0, len(stream)), max_size=10)))
    one, many = InvalidShareGuard(cap), InvalidShareGuard(cap)
    one.observe(CARS, stream)
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        many.observe(CARS, stream[start:end])
    assert one.share(CARS) == many.share(CARS)
    assert one.seen(CARS) == many.seen(CARS) == min(len(stream), cap.window)


@given(st.integers(1, 60), batches_st)
def test_below_the_minimum_or_with_a_cap_of_one_nothing_trips(
    window: int, batches: list[list[Outcome]]
) -> None:
    disabled = InvalidShareGuard(InvalidShareCap(1.0, window, 1))
    patient = InvalidShareGuard(InvalidShareCap(0.0, window, window))  # any dead letter, once window seen
    seen = 0
    for batch in batches:
        seen += len(batch)
        assert disabled.observe(CARS, batch) is None
        trip = patient.observe(CARS, batch)
        if seen < window:
            assert trip is None
        else:
            assert (trip is not None) == (patient.share(CARS) > 0)
