"""A watchdog for raw partitions that are assigned, have messages waiting, and are never read.

With two workers, the benchmark's phase (f) twice ended with a few raw partitions that the group had never
committed (committed offset -1001, messages waiting) after the start-up rebalance, while every other
partition was drained: the new owner never fetched them. Nothing was lost (their offsets were never
committed, so a restart reads them), but nothing moved either. faust-streaming has open reports of the
kind (issues #629 and #166); the cause is not pinned down here.

Every ``CHECK_EVERY_S`` the watchdog compares, for each raw partition this worker is assigned, the offset
Faust last handed to the streams with the partition's end offset. A partition that has messages waiting
and whose read offset has not moved for ``stall_s`` is stalled:
1. the first time, the watchdog logs an error naming it and what Faust and aiokafka know of it, puts it
   back among the partitions the fetcher asks for (the flow-control sets of Faust's consumer; a
   partition left out of them is never fetched) and seeks it to its committed offset (``revive``);
2. if it is still stalled ``stall_s`` later, the worker stops with ``EXIT_STALLED`` so that its supervisor
   (Kubernetes, compose, systemd) starts it again, which re-reads from the committed offsets.
Raw partitions only: their agents depend on nothing but Kafka, whereas the sinks legitimately wait while
ClickHouse is away.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

CHECK_EVERY_S = 10.0
DEFAULT_STALL_S = 120.0
EXIT_STALLED = 4

Partition = tuple[str, int]


@dataclass
class StallWatch:
    """Pure bookkeeping: which partitions have had messages waiting and no read progress for stall_s."""

    stall_s: float = DEFAULT_STALL_S
    _since: dict[Partition, tuple[int | None, float]] = field(default_factory=dict)
    _revived: dict[Partition, float] = field(default_factory=dict)

    def observe(
        self, read: Mapping[Partition, int | None], ends: Mapping[Partition, int | None], now: float
    ) -> tuple[list[Partition], list[Partition]]:
        """(partitions to revive, partitions still stalled after a revival) for this round. ``read``: the
        last offset handed to the streams (None: nothing yet); ``ends``: the partitions' end offsets."""
        revive, hopeless = [], []
        for tp in sorted(ends):
            end, offset = ends[tp], read.get(tp)
            waiting = end is not None and end > (offset + 1 if offset is not None else 0)
            seen = self._since.get(tp)
            if not waiting or seen is None or seen[0] != offset:
                self._since[tp] = (offset, now)
                self._revived.pop(tp, None)
                continue
            if now - seen[1] < self.stall_s:
                continue
            revived_at = self._revived.get(tp)
            if revived_at is None:
                self._revived[tp] = now
                revive.append(tp)
            elif now - revived_at >= self.stall_s:
                hopeless.append(tp)
        self.forget(ends)
        return revive, hopeless

    def forget(self, keep: Iterable[Partition]) -> None:
        kept = set(keep)
        for table in (self._since, self._revived):
            for tp in [tp for tp in table if tp not in kept]:
                del table[tp]


class StalledPartitions(Exception):
    """Raised as the worker's crash reason when raw partitions stayed stalled after a revival."""

    def __init__(self, partitions: list[Partition], stall_s: float) -> None:
        names = ", ".join(f"{topic}[{partition}]" for topic, partition in partitions)
        super().__init__(
            f"raw partitions {names} have messages waiting and were not read for {2 * stall_s:.0f} s, once "
            "revived: stopping so that the supervisor starts the worker again (nothing of them was committed)"
        )
        self.partitions = partitions


async def revive(consumer: Any, tp: Any) -> str:
    """Make the fetcher read ``tp`` again, and say in what state it was found (for the log).

    1. Put it back among the partitions Faust's fetcher asks aiokafka for (private sets of Faust's
       consumer: a partition left in ``_buffered_partitions``, or out of the active set, is never asked
       for; records aiokafka prefetched for it then wait for ever, and it fetches no more of them).
    2. Seek it, through Faust, to where the group committed it, or to its earliest offset when it never
       committed it (the worker's ``auto_offset_reset`` is earliest). A seek drops whatever aiokafka
       holds for the partition and fetches from that offset; nothing after it was committed, so nothing
       is skipped, and what is read again is stored idempotently.
    """
    state = describe(consumer, tp)
    consumer._buffered_partitions.discard(tp)
    consumer._get_active_partitions().add(tp)
    consumer.resume_partitions([tp])
    offset = consumer._committed_offset.get(tp)
    if offset is None:
        offset = (await consumer.earliest_offsets(tp)).get(tp)
    if offset is not None:
        await consumer.seek(tp, offset)
    return f"{state}; sought to offset {offset}"


def describe(consumer: Any, tp: Any) -> str:
    """What Faust's consumer and aiokafka know of ``tp``: enough to tell why it is not read."""
    facts = [
        f"active={tp in consumer._get_active_partitions()}",
        f"paused={tp in consumer._paused_partitions}",
        f"buffered={tp in consumer._buffered_partitions}",
        f"committed={consumer._committed_offset.get(tp)}",
        f"read={consumer._read_offset.get(tp)}",
    ]
    try:
        inner = consumer._thread._ensure_consumer()
        tp_state = inner._subscription.subscription.assignment.state_value(tp)
        held = inner._fetcher._records.get(tp)
        facts += [
            f"aiokafka status={getattr(tp_state, '_status', None)}",
            f"aiokafka position={getattr(tp_state, '_position', None)}",
            f"aiokafka paused={getattr(tp_state, 'paused', None)}",
            f"aiokafka prefetched={type(held).__name__ if held is not None else None}",
        ]
    except Exception as exc:  # private internals of another version: the log says so, nothing breaks
        facts.append(f"aiokafka state unknown ({exc!r})")
    return ", ".join(facts)
