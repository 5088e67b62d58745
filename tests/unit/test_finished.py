"""The worker commits only offsets its agents finished, whatever Faust counts as acknowledged."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

import pytest
from faust.types import TP as TOPIC_PARTITION
from prometheus_client import REGISTRY

from pipeline.worker import gaps
from pipeline.worker.finished import REREAD_AGAIN_S, FinishedOffsets, commit_finished_only, cut_to_finished

RAW = TOPIC_PARTITION("raw.camera", 0)


def waiting(topic: str) -> float:
    value = REGISTRY.get_sample_value("warmcity_commits_waiting_partitions", {"topic": topic})
    return -1.0 if value is None else value


OTHER = TOPIC_PARTITION("detections", 1)


def ledger(*finished: int) -> FinishedOffsets:
    offsets = FinishedOffsets(["raw.camera"])
    offsets.finished(("raw.camera", 0), finished)
    return offsets


def test_the_frontier_is_the_first_offset_not_finished_from_the_committed_one() -> None:
    done = ledger(120, 121, 122, 186, 187)
    assert done.frontier(("raw.camera", 0), 120) == 123
    assert done.frontier(("raw.camera", 0), 123) == 123  # 123..185 never finished: nothing to commit
    assert done.frontier(("raw.camera", 0), 186) == 188
    assert done.frontier(("raw.camera", 1), 7) == 7  # nothing finished there


def test_settling_forgets_only_what_lies_below_the_committed_offset() -> None:
    done = ledger(*range(100, 110))
    done.settle(("raw.camera", 0), 105)
    assert done.pending(("raw.camera", 0)) == (5, 105, 109)
    assert done.frontier(("raw.camera", 0), 105) == 110


def test_a_commit_past_messages_no_agent_finished_is_cut_to_the_first_of_them() -> None:
    done = ledger(*range(100, 121), *range(186, 200))  # 121..185 handed to nobody
    allowed, cut = cut_to_finished({RAW: 200}, {RAW: 100}, done)
    assert allowed == {RAW: 121} and cut == {RAW: (200, 121)}


def test_a_commit_with_nothing_finished_past_the_committed_offset_is_dropped() -> None:
    allowed, cut = cut_to_finished({RAW: 186}, {RAW: 121}, ledger(*range(130, 186)))
    assert allowed == {} and cut == {RAW: (186, 121)}


def test_a_commit_within_what_was_finished_goes_through_unchanged() -> None:
    allowed, cut = cut_to_finished({RAW: 110}, {RAW: 100}, ledger(*range(100, 120)))
    assert allowed == {RAW: 110} and cut == {}


def test_topics_not_guarded_are_left_to_faust_and_partitions_with_no_known_commit_wait() -> None:
    allowed, cut = cut_to_finished({OTHER: 50, RAW: 9}, {RAW: None}, ledger(*range(9)))
    assert allowed == {OTHER: 50} and cut == {}


def test_a_stopping_consumer_asks_kafka_nothing_and_commits_no_partition_it_cannot_judge() -> None:
    fake = fake_consumer(committed=None)
    fake.app = SimpleNamespace(should_stop=True)  # aiokafka's consumer may have left the group already

    async def never(*tps: Any) -> dict[Any, int]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    fake.earliest_offsets = never
    commit_finished_only(fake, ledger(0, 1, 2))
    assert asyncio.run(asyncio.wait_for(fake._commit_offsets({RAW: 3}), 2)) is False
    assert fake.committed_calls == []


def test_keep_only_forgets_partitions_no_longer_assigned() -> None:
    done = ledger(1, 2)
    done.finished(("raw.camera", 2), [5])
    done.finished(("elsewhere", 0), [5])  # not guarded: never recorded
    done.keep_only({("raw.camera", 2)})
    assert done.pending(("raw.camera", 0)) is None and done.pending(("raw.camera", 2)) == (1, 5, 5)
    assert done.pending(("elsewhere", 0)) is None


def fake_consumer(committed: int | None, earliest: int = 0) -> Any:
    fake = SimpleNamespace(committed_calls=[], sought=[])
    fake._committed_offset = defaultdict(lambda: None, {RAW: committed})
    fake._acked = defaultdict(list, {RAW: [190, 191]})
    fake._read_offset = {RAW: 199}
    fake.assignment = lambda: {RAW}

    async def commit_offsets(offsets: dict[Any, int], start_new_transaction: bool = True) -> bool:
        fake.committed_calls.append(dict(offsets))
        fake._committed_offset.update(offsets)
        return True

    async def earliest_offsets(*tps: Any) -> dict[Any, int]:
        return dict.fromkeys(tps, earliest)

    async def seek(tp: Any, offset: int) -> None:
        fake.sought.append((tp, offset))

    fake._commit_offsets = commit_offsets
    fake.earliest_offsets = earliest_offsets
    fake.seek = seek
    return fake


def test_the_installed_cut_commits_the_frontier_logs_once_and_reads_the_partition_again(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(gaps, "REREAD_AFTER_S", 0.01)
    done = ledger(*range(100, 121), *range(186, 200))
    fake = fake_consumer(committed=100)
    commit_finished_only(fake, done)
    commit_finished_only(fake, done)  # installed once

    async def rounds() -> None:
        assert await fake._commit_offsets({RAW: 200}) is True
        assert await fake._commit_offsets({RAW: 200}) is False  # nothing more to commit: dropped
        await asyncio.sleep(0.05)

    with caplog.at_level("ERROR", logger="pipeline.worker.finished"):
        asyncio.run(rounds())
    assert fake.committed_calls == [{RAW: 121}]
    assert fake.sought == [(RAW, 121)]  # read again once: the second cut is at the same frontier
    messages = [r.getMessage() for r in caplog.records if "never finished" in r.getMessage()]
    assert len(messages) == 1 and "raw.camera[0]" in messages[0] and "offset 121" in messages[0]
    assert done.pending(("raw.camera", 0)) == (14, 186, 199)  # below the commit forgotten


def test_a_never_committed_partition_is_judged_from_its_earliest_offset() -> None:
    done = ledger(0, 1, 2, 5)
    fake = fake_consumer(committed=None, earliest=0)
    commit_finished_only(fake, done)
    assert asyncio.run(fake._commit_offsets({RAW: 6})) is True
    assert fake.committed_calls == [{RAW: 3}]


def test_a_partition_still_waiting_at_its_frontier_is_read_again_until_it_moves_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gaps, "REREAD_AFTER_S", 3600)  # the first re-read is not what this test is about
    fake = fake_consumer(committed=120)
    cuts = commit_finished_only(fake, ledger(*range(130, 140)))
    assert commit_finished_only(fake, ledger()) is cuts

    async def rounds() -> None:
        assert await fake._commit_offsets({RAW: 140}) is False  # 120 never finished: nothing committed
        cut_at = cuts.stuck[RAW][1]
        await cuts.recheck(now=cut_at + REREAD_AGAIN_S / 2)
        assert fake.sought == []  # not yet
        await cuts.recheck(now=cut_at + REREAD_AGAIN_S)
        assert fake.sought == [(RAW, 120)]
        assert waiting("raw.camera") == 1
        fake._committed_offset[RAW] = 141  # read again and committed past the frontier
        await cuts.recheck(now=cut_at + 3 * REREAD_AGAIN_S)
        assert fake.sought == [(RAW, 120)] and cuts.stuck == {}
        assert waiting("raw.camera") == 0

    asyncio.run(rounds())


def test_a_commit_kafka_refused_forgets_nothing() -> None:
    done = ledger(*range(100, 110))
    fake = fake_consumer(committed=100)

    async def refused(offsets: dict[Any, int], start_new_transaction: bool = True) -> bool:
        fake._committed_offset.update(offsets)  # as Faust does, whether or not Kafka took it
        return False  # "already rebalanced"

    fake._commit_offsets = refused
    commit_finished_only(fake, done)
    assert asyncio.run(fake._commit_offsets({RAW: 110})) is False
    assert done.pending(("raw.camera", 0)) == (10, 100, 109)  # still known finished for the next owner


def test_kafka_not_answering_is_asked_once_per_round_and_nothing_unjudged_is_committed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gaps, "LOOKUP_TIMEOUT_S", 0.05)
    other = TOPIC_PARTITION("raw.camera", 1)
    fake = fake_consumer(committed=None)
    fake._committed_offset[other] = None
    asked: list[Any] = []

    async def silent(*tps: Any) -> dict[Any, int]:
        asked.extend(tps)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    fake.earliest_offsets = silent
    done = ledger(0, 1, 2)
    done.finished(("raw.camera", 1), [0, 1])
    commit_finished_only(fake, done)
    assert asyncio.run(fake._commit_offsets({RAW: 3, other: 2})) is False
    assert fake.committed_calls == [] and sorted(asked) == sorted([RAW, other])  # one lookup for both


def test_what_kafka_said_is_remembered_until_the_next_assignment() -> None:
    fake = fake_consumer(committed=None, earliest=0)
    looked_up: list[Any] = []
    earliest = fake.earliest_offsets

    async def counting(*tps: Any) -> dict[Any, int]:
        looked_up.extend(tps)
        found: dict[Any, int] = await earliest(*tps)
        return found

    fake.earliest_offsets = counting

    async def refused(offsets: dict[Any, int], start_new_transaction: bool = True) -> bool:
        return False  # Faust learns no committed offset: only the cache spares Kafka the next time

    fake._commit_offsets = refused
    cuts = commit_finished_only(fake, ledger(0, 1, 2))
    asyncio.run(fake._commit_offsets({RAW: 3}))
    asyncio.run(fake._commit_offsets({RAW: 3}))
    assert looked_up == [RAW]
    cuts.assigned()
    asyncio.run(fake._commit_offsets({RAW: 3}))
    assert looked_up == [RAW, RAW]
