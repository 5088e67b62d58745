"""Never commit past messages that were not processed: Faust's offset gaps refused.

When the next message Faust hands to a stream is more than one offset past the last one it read from that
partition, faust-streaming records the offsets in between as a *gap* and counts them as acknowledged, so
the next commit moves past them (``Consumer._add_gap`` and ``_new_offset``). That is right for compacted
topics and for transaction markers, where such offsets hold nothing to process. The worker's stream
topics have neither: they are not compacted and nobody writes them in transactions. There a jump means
that Faust dropped records it had fetched: seen in ``tests/integration/test_delivery.py`` with one of two
workers killed, where the survivor committed raw partitions past 112 and 57 messages (contiguous offsets)
that were never enriched nor stored.

Faust also commits from the first acknowledged offset when the one before it was never acknowledged, as
long as it is right after the committed offset, which it takes for the last one processed, while Kafka's
committed offset is the next one to read: a single message dropped right at the committed offset is
committed past (seen once in the kill test, one raw message lost at the offset the killed worker had
committed).

So the worker replaces ``_add_gap`` and ``_new_offset`` on its consumer: a jump is logged as an error and
nothing is counted as acknowledged, and no commit starts past the committed offset. The commit then
stays at the first missing offset (nothing is lost: a restart reads from there), and the partition is
sought back to its committed offset ``REREAD_AFTER_S`` later, which hands the missing messages (and the
uncommitted ones after them, stored idempotently) to the streams again. Should that seek race with the
fetch loop and the messages be dropped again, the stall watchdog (``stall_watch``) sees a raw partition
whose committed offset does not move and seeks it again. Topics whose acknowledgements Faust ignores
(the tables' changelogs, compacted) never reach either rule.

These two rules are the ones found first; the general fence is the worker's own ledger of finished
offsets (``finished``), which cuts any commit past a message no agent finished, whatever Faust's reason.
The refusals stay: they see a jump as it is fetched, before any commit, and have it read again sooner.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from typing import Any

log = logging.getLogger(__name__)

MARK = "_warmcity_refuses_gaps"
REREAD_AFTER_S = 2.0
LOOKUP_TIMEOUT_S = 5.0  # asking Kafka for a committed or earliest offset


async def kafka_committed_offsets(consumer: Any, tps: Collection[Any]) -> dict[Any, int | None]:
    """Where the group committed ``tps`` (None: never), as Kafka says, else their earliest offsets (never
    committed: the worker's ``auto_offset_reset``): one request for the commits, through aiokafka's group
    coordinator in Faust's consumer thread, and one for the earliest offsets, each of them given
    ``LOOKUP_TIMEOUT_S`` before ``TimeoutError``. A partition whose offsets cannot be known maps to None."""
    found: dict[Any, int | None] = dict.fromkeys(tps)
    thread = getattr(consumer, "_thread", None)
    if thread is not None and tps:
        inner = thread._ensure_consumer()
        coordinator = getattr(inner, "_coordinator", None)  # aiokafka's, private: one request for all
        if coordinator is not None:
            commits = await asyncio.wait_for(
                thread.call_thread(coordinator.fetch_committed_offsets, set(tps)), LOOKUP_TIMEOUT_S
            )
            for tp in tps:
                meta = commits.get(tp)
                found[tp] = meta.offset if meta is not None and meta.offset >= 0 else None
        else:  # another aiokafka: its public call, a request per partition
            for tp in tps:
                found[tp] = await asyncio.wait_for(thread.call_thread(inner.committed, tp), LOOKUP_TIMEOUT_S)
    missing = [tp for tp, offset in found.items() if offset is None]
    if missing:
        earliest = await asyncio.wait_for(consumer.earliest_offsets(*missing), LOOKUP_TIMEOUT_S)
        for tp in missing:
            found[tp] = earliest.get(tp)
    return found


async def committed_offset(consumer: Any, tp: Any) -> int | None:
    """``tp``'s committed offset: Faust's, else Kafka's (Faust knows none for a partition it has not yet
    sought since its assignment), else the partition's earliest (``kafka_committed_offsets``)."""
    offset: int | None = consumer._committed_offset.get(tp)
    if offset is None:
        offset = (await kafka_committed_offsets(consumer, [tp]))[tp]
    return offset


async def seek_to_committed(consumer: Any, tp: Any) -> int | None:
    """Seek ``tp`` to its committed offset (``committed_offset``), through Faust, so that everything not
    committed is handed to the streams again; the offset sought, or None when none is known."""
    offset = await committed_offset(consumer, tp)
    if offset is not None:
        await consumer.seek(tp, offset)
    return offset


async def read_again(consumer: Any, tp: Any) -> None:
    """Seek ``tp`` back to its committed offset (``seek_to_committed``), so that what was never handed to a
    stream, or never finished, is read again; a partition revoked meanwhile is left to its next owner,
    which starts from the committed offset anyway. Errors are logged, not raised: the callers (a timer,
    the stall watchdog) try again."""
    try:
        if tp not in consumer.assignment():
            return
        offset = await seek_to_committed(consumer, tp)
        if offset is not None:
            log.warning("%s[%d] sought back to offset %d to read again", tp.topic, tp.partition, offset)
    except Exception as exc:
        log.error("%s[%d] could not be sought back: %r", tp.topic, tp.partition, exc)


def read_again_soon(consumer: Any, tp: Any) -> None:
    """``read_again`` in ``REREAD_AFTER_S``: not at once, since the fetch loop may be handing over the
    message after the jump and would set its read offset past the re-read messages, which it would then
    drop as already read."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # no loop (a test calling in directly): the watchdog or a restart re-reads
        return
    loop.call_later(REREAD_AFTER_S, lambda: asyncio.ensure_future(read_again(consumer, tp)))


def refuse_gaps(consumer: Any) -> None:
    """Install the refusal on Faust's ``consumer`` (once; later calls do nothing)."""
    if getattr(consumer, MARK, False):
        return

    async def _refuse_gap(tp: Any, offset_from: int, offset_to: int) -> None:
        log.error(
            "offsets %d..%d of %s[%d] were fetched but never handed to a stream; not committing past them, "
            "reading them again",
            offset_from, offset_to, tp.topic, tp.partition,
        )  # fmt: skip
        read_again_soon(consumer, tp)

    new_offset = consumer._new_offset
    refused: set[tuple[Any, int]] = set()

    def _from_the_committed_offset(tp: Any) -> int | None:
        acked, committed = consumer._acked[tp], consumer._committed_offset[tp]
        if acked and committed is not None and min(acked) > committed:
            if (tp, committed) not in refused:  # once per stuck commit, not every commit round
                refused.add((tp, committed))
                log.error(
                    "%s[%d]: the first acknowledged offset is %d but the committed one is %d; not "
                    "committing past messages never handed to a stream, reading them again",
                    tp.topic, tp.partition, min(acked), committed,
                )  # fmt: skip
                read_again_soon(consumer, tp)
            return None
        offset: int | None = new_offset(tp)
        return offset

    consumer._add_gap = _refuse_gap
    consumer._new_offset = _from_the_committed_offset
    setattr(consumer, MARK, True)
