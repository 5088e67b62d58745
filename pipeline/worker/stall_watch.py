"""A watchdog for raw partitions that are assigned, have messages not yet committed, and do not move.

faust-streaming (0.15 here, on aiokafka) can lose track of a partition around a rebalance. Seen here:
- with two workers, the benchmark's phase (f) twice ended with a few raw partitions that the group had
  never committed (committed offset -1001, messages waiting) after the start-up rebalance;
- with one worker restarted after a SIGKILL (``tests/integration/test_delivery.py``, about one run in
  six on a loaded machine), aiokafka had consumed a raw partition to its end (its position at the end
  offset) while Faust had handed none of it to the streams (no read offset), and in the same run another
  partition's committed offset stayed behind although its messages had been read.
Nothing is lost either way (what is not committed is read again by whoever owns the partition next),
but nothing moves until then. faust-streaming has open reports of the kind (issues #629 and #166).

Every ``CHECK_EVERY_S`` the watchdog looks, for each raw partition this worker is assigned, at the offset
it last committed and the partition's end offset. A partition whose committed offset is behind its end
and has not moved for ``stall_s`` is stalled, whether nothing of it was read or it was read on past
messages never processed (``gaps.py``):
1. the watchdog logs an error naming it and what Faust and aiokafka know of it, puts it back among the
   partitions the fetcher asks for and seeks it to its committed offset (``revive``), which hands the
   uncommitted messages to the streams again (the sinks store them idempotently);
2. if its committed offset has still not moved ``give_up_s`` later, the worker stops with
   ``EXIT_STALLED`` so that its supervisor (Kubernetes, compose, systemd) starts it again, which re-reads
   from the committed offsets.
A round that cannot judge (a rebalance, the broker away) starts every clock again: a stall must be seen
for the whole ``stall_s``. Raw partitions only: their agents depend on nothing but Kafka, whereas the sinks
legitimately wait while ClickHouse is away.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.worker.gaps import seek_to_committed

log = logging.getLogger(__name__)

CHECK_EVERY_S = 10.0
DEFAULT_STALL_S = 30.0
DEFAULT_GIVE_UP_S = 120.0
EXIT_STALLED = 4

Partition = tuple[str, int]
Offsets = Mapping[Partition, int | None]


@dataclass
class _Seen:
    progress: int | None  # the committed offset when last seen moving
    since: float
    revived_at: float | None = None
    committed_at_revival: int | None = None


@dataclass
class StallWatch:
    """Pure bookkeeping: which raw partitions stopped moving with messages not committed."""

    stall_s: float = DEFAULT_STALL_S
    give_up_s: float = DEFAULT_GIVE_UP_S
    _seen: dict[Partition, _Seen] = field(default_factory=dict)

    def observe(
        self, committed: Offsets, ends: Offsets, now: float
    ) -> tuple[list[Partition], list[Partition]]:
        """(partitions to revive, partitions still stalled ``give_up_s`` after their revival) for this
        round. ``committed``: the next offset the group will read (None or negative: never committed);
        ``ends``: end offsets."""
        revive, hopeless = [], []
        for tp in sorted(ends):
            end, done = ends[tp], committed.get(tp)
            floor = done if done is not None and done >= 0 else 0
            if end is None or end <= floor:  # everything committed: nothing to watch
                self._seen.pop(tp, None)
                continue
            # Commits alone tell progress: a partition read on while its commit stays put (messages
            # skipped by Faust, see gaps.py) is as stalled as one never read.
            seen, progress = self._seen.get(tp), done
            if seen is None:
                self._seen[tp] = _Seen(progress, now)
            elif seen.revived_at is not None:
                if done is not None and (
                    seen.committed_at_revival is None or done > seen.committed_at_revival
                ):
                    self._seen[tp] = _Seen(progress, now)  # committed again since the revival: healed
                elif now - seen.revived_at >= self.give_up_s:
                    hopeless.append(tp)
            elif progress != seen.progress:
                seen.progress, seen.since = progress, now
            elif now - seen.since >= self.stall_s:
                seen.revived_at, seen.committed_at_revival = now, done
                revive.append(tp)
        for tp in [tp for tp in self._seen if tp not in ends]:
            del self._seen[tp]
        return revive, hopeless

    def reset(self) -> None:
        """A round that could not judge: every stall must be seen whole again."""
        self._seen.clear()


class StalledPartitions(Exception):
    """Raised as the worker's crash reason when raw partitions stayed stalled after a revival."""

    def __init__(self, partitions: list[Partition], stall_s: float) -> None:
        names = ", ".join(f"{topic}[{partition}]" for topic, partition in partitions)
        super().__init__(
            f"raw partitions {names} have messages not committed and did not move for {stall_s:.0f} s after "
            "they were revived: stopping so that the supervisor starts the worker again (what was not "
            "committed is read again)"
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
    try:
        offset = await seek_to_committed(consumer, tp)
    except Exception as exc:  # Kafka not answering: the next round, or the give-up, follows
        return f"{state}; not sought ({exc!r})"
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
