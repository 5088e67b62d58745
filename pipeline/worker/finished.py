"""Commit only what this worker's agents finished: an offset ledger of our own, beside Faust's acks.

Faust commits the offsets its consumer counts as acknowledged. faust-streaming 0.15 can count messages
that no stream ever finished (its gap rule, its start-of-commit rule: ``gaps.py``) and, seen with one of
two workers killed in ``tests/integration/test_delivery.py``, it committed raw partitions past runs of
messages that no agent had processed while none of those rules fired. So the worker keeps its own
ledger: every agent that takes its batches with ``take_weighted`` records the offsets of a batch once
the batch's body finished (every output delivered to Kafka, or the rows accepted by ClickHouse), and the
consumer's commit is cut, per topic-partition of the guarded topics, to the first offset not finished
since the committed one. A cut commit is logged as an error once per stuck offset, with what Faust knew
of the partition, and the partition is sought back to its committed offset ``REREAD_AFTER_S`` later
(``gaps.seek_to_committed``), which hands the missing messages (and the uncommitted ones after them,
stored idempotently) to the streams again. Nothing is lost: what is never committed is read again,
here or by the partition's next owner.

The ledger only says "finished", never "may skip": it cannot commit anything Faust would not, only less.
Offsets below a partition's committed offset are forgotten after each commit Kafka took, and so is a
partition assigned elsewhere at a rebalance. What was finished stays finished through a rebalance that
gives the partition back (an eager rebalance revokes every partition first).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from pipeline.metrics import COMMITS_CUT, COMMITS_WAITING
from pipeline.worker import gaps

log = logging.getLogger(__name__)

MARK = "_warmcity_commits_finished_only"
REREAD_AGAIN_S = 15.0

Partition = tuple[str, int]


class FinishedOffsets:
    """Pure bookkeeping: which offsets of the guarded topics' partitions the agents finished."""

    def __init__(self, topics: Collection[str]) -> None:
        self.topics = frozenset(topics)
        self._done: dict[Partition, set[int]] = {}

    def guards(self, topic: str) -> bool:
        return topic in self.topics

    def finished(self, partition: Partition, offsets: Iterable[int]) -> None:
        """Record offsets whose processing finished (their outputs delivered or stored)."""
        if partition[0] in self.topics:
            self._done.setdefault(partition, set()).update(offsets)

    def record(self, events: Sequence[Any]) -> None:
        """``finished`` for the messages of a batch of Faust events (``take_weighted``'s callback)."""
        by_partition: dict[Partition, list[int]] = {}
        for event in events:
            message = event.message
            by_partition.setdefault((message.topic, message.partition), []).append(message.offset)
        for partition, offsets in by_partition.items():
            self.finished(partition, offsets)

    def frontier(self, partition: Partition, committed: int) -> int:
        """The first offset at or after ``committed`` not finished: the furthest commit that skips
        nothing."""
        done = self._done.get(partition)
        offset = committed
        if done:
            while offset in done:
                offset += 1
        return offset

    def settle(self, partition: Partition, committed: int) -> None:
        """Forget the offsets below ``committed`` (after a commit): they are never asked about again."""
        done = self._done.get(partition)
        if done and min(done) < committed:
            done.difference_update([o for o in done if o < committed])

    def pending(self, partition: Partition) -> tuple[int, int, int] | None:
        """How many offsets are recorded past the frontier, and the lowest and highest (diagnostics)."""
        done = self._done.get(partition)
        return (len(done), min(done), max(done)) if done else None

    def forget(self, partitions: Iterable[Partition]) -> None:
        for partition in partitions:
            self._done.pop(partition, None)

    def keep_only(self, partitions: Collection[Partition]) -> None:
        """Forget every partition not among ``partitions`` (a new assignment)."""
        self.forget([p for p in self._done if p not in partitions])


def cut_to_finished(
    offsets: Mapping[Any, int], committed: Mapping[Any, int | None], ledger: FinishedOffsets
) -> tuple[dict[Any, int], dict[Any, tuple[int, int]]]:
    """Faust's proposed ``offsets`` (by topic-partition) cut to what the ledger allows: the offsets to
    commit, and for each cut partition (proposed, frontier). A guarded partition whose committed offset
    is not known (``committed`` lacks it or holds None) is not committed: nothing can say the commit
    skips nothing (it is read again after a restart)."""
    allowed: dict[Any, int] = {}
    cut: dict[Any, tuple[int, int]] = {}
    for tp, offset in offsets.items():
        if not ledger.guards(tp.topic):
            allowed[tp] = offset
            continue
        base = committed.get(tp)
        if base is None:
            continue
        frontier = ledger.frontier((tp.topic, tp.partition), base)
        if offset <= frontier:
            allowed[tp] = offset
            continue
        cut[tp] = (offset, frontier)
        if frontier > base:
            allowed[tp] = frontier
    return allowed, cut


class FinishedOnlyCommits:
    """The cut, installed on Faust's consumer, and the partitions it left stuck.

    A cut partition waits at its frontier until the messages there are read again and finished. The
    first re-read is scheduled ``gaps.REREAD_AFTER_S`` after the cut; should it not bring the commit
    past the frontier (the seek raced with the fetch loop and the messages were dropped again),
    ``recheck`` (every few seconds, from a worker timer) seeks the partition back again every
    ``REREAD_AGAIN_S`` until it does, for internal topics as for raw ones."""

    def __init__(self, consumer: Any, ledger: FinishedOffsets) -> None:
        self.consumer = consumer
        self.ledger = ledger
        self._commit_offsets = consumer._commit_offsets
        self.stuck: dict[Any, tuple[int, float]] = {}  # tp -> (frontier, when last sought back)
        self._waiting_topics: set[str] = set()  # topics whose gauge was set, so that it drops back to 0
        self._kafka_bases: dict[Any, int] = {}  # committed offsets Kafka gave since the assignment

    async def _known_committed(self, offsets: Mapping[Any, int]) -> dict[Any, int | None]:
        """The committed offset of each guarded partition of ``offsets``: Faust's, else what Kafka said
        since the assignment. Faust knows none for a partition not sought since its assignment, or never
        committed; those are asked of Kafka in one lookup per round and remembered until the next
        assignment, unless the worker is stopping (aiokafka's consumer may have left the group already
        and would never answer). A partition still unknown is not committed this round."""
        known: dict[Any, int | None] = {}
        ask: list[Any] = []
        for tp in offsets:
            if not self.ledger.guards(tp.topic):
                continue
            base: int | None = self.consumer._committed_offset.get(tp)
            if base is None:
                base = self._kafka_bases.get(tp)
            if base is None:
                ask.append(tp)
            known[tp] = base
        if ask and not self._stopping():
            try:
                found = await gaps.kafka_committed_offsets(self.consumer, ask)
            except Exception as exc:  # unknown: those partitions are not committed this round
                log.debug("committed offsets of %d partitions unknown: %r", len(ask), exc)
            else:
                for tp, base in found.items():
                    known[tp] = base
                    if base is not None:
                        self._kafka_bases[tp] = base
        return known

    def assigned(self) -> None:
        """A new assignment: what Kafka said of the partitions' commits may be stale now."""
        self._kafka_bases.clear()

    def _stopping(self) -> bool:
        app = getattr(self.consumer, "app", None)
        return bool(getattr(self.consumer, "should_stop", False) or getattr(app, "should_stop", False))

    async def commit_offsets(self, offsets: Mapping[Any, int], start_new_transaction: bool = True) -> bool:
        """Faust's ``Consumer._commit_offsets``, with every guarded partition cut to its frontier."""
        consumer, ledger = self.consumer, self.ledger
        committed = await self._known_committed(offsets)
        allowed, cut = cut_to_finished(offsets, committed, ledger)
        for tp, (proposed, frontier) in cut.items():
            COMMITS_CUT.labels(tp.topic).inc()
            if self.stuck.get(tp, (None, 0.0))[0] == frontier:
                continue  # already reported and being read again
            self.stuck[tp] = (frontier, time.monotonic())
            acked = consumer._acked.get(tp) or []
            log.error(
                "%s[%d]: Faust would commit offset %d, but offset %d was never finished by an agent "
                "(committed %s, read offset %s, acked %s, finished past it %s); committing %s, reading "
                "it again",
                tp.topic, tp.partition, proposed, frontier, committed.get(tp),
                consumer._read_offset.get(tp),
                f"{len(acked)} in {min(acked)}..{max(acked)}" if acked else "none",
                ledger.pending((tp.topic, tp.partition)),
                frontier if frontier > (committed.get(tp) or 0) else "nothing",
            )  # fmt: skip
            gaps.read_again_soon(consumer, tp)
        if not allowed:
            return False
        result: bool = await self._commit_offsets(allowed, start_new_transaction=start_new_transaction)
        if result:  # Kafka took the commit (Faust notes its offsets as committed even when it did not)
            for tp, offset in allowed.items():
                if ledger.guards(tp.topic):
                    ledger.settle((tp.topic, tp.partition), offset)
        return result

    async def recheck(self, now: float | None = None) -> None:
        """Seek back again every cut partition whose commit is still at its frontier ``REREAD_AGAIN_S``
        after it was last sought back; forget those that moved on or were revoked."""
        now = time.monotonic() if now is None else now
        assignment = self.consumer.assignment()
        waiting: dict[str, int] = dict.fromkeys(self._waiting_topics, 0)
        for tp, (frontier, since) in list(self.stuck.items()):
            committed = self.consumer._committed_offset.get(tp)
            if tp not in assignment or (committed is not None and committed > frontier):
                del self.stuck[tp]
                continue
            waiting[tp.topic] = waiting.get(tp.topic, 0) + 1
            if now - since >= REREAD_AGAIN_S:
                self.stuck[tp] = (frontier, now)
                log.warning(
                    "%s[%d] still waits at offset %d, never finished: reading it again",
                    tp.topic, tp.partition, frontier,
                )  # fmt: skip
                await gaps.read_again(self.consumer, tp)
        for topic, count in waiting.items():
            COMMITS_WAITING.labels(topic).set(count)
        self._waiting_topics = set(waiting)


def commit_finished_only(consumer: Any, ledger: FinishedOffsets) -> FinishedOnlyCommits:
    """Install the cut on Faust's ``consumer`` (once; later calls return the one installed)."""
    installed: FinishedOnlyCommits | None = getattr(consumer, MARK, None)
    if installed is None:
        installed = FinishedOnlyCommits(consumer, ledger)
        consumer._commit_offsets = installed.commit_offsets
        setattr(consumer, MARK, installed)
    return installed
