"""Consumer lag per partition and the partitions assigned to this worker, as Prometheus gauges.

A worker timer (``LAG_INTERVAL_S``) takes the Faust consumer's assignment, and for every partition of a
topic the consumer group commits (not the tables' changelogs, which Faust reads without committing) sets
``warmcity_consumer_lag_messages{topic,partition}`` to the high watermark minus the group's committed
offset; for a partition the group has never committed, minus the consumer's position. Partitions revoked
since the last round lose their series, so during a rebalance a partition is reported by at most the two
workers that saw it last (the recording rule takes the max per partition).
``warmcity_worker_assigned_partitions{topic}`` is set by the same round, and at once on every assignment.

The high watermark is the one the consumer learnt in its last fetch (``Consumer.highwater``): no request
to the broker. The committed offsets are Faust's own record of what it committed; Faust commits every
``broker_commit_interval`` (2.8 s), so up to that much processed work still counts as lag.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pipeline.metrics import ASSIGNED_PARTITIONS, CONSUMER_LAG

if TYPE_CHECKING:
    from pipeline.worker.app import PipelineWorker

log = logging.getLogger(__name__)

LAG_INTERVAL_S = 5.0
CHANGELOG_SUFFIX = "-changelog"

Partition = tuple[str, int]


def partition_lag(highwater: int | None, committed: int | None, position: int | None) -> int | None:
    """Messages not committed yet: ``highwater - committed``, else ``highwater - position`` when the group
    never committed the partition; 0 for a partition never written to; None when the high watermark, or
    both offsets, are not known."""
    if highwater is None:
        return None
    if highwater == 0:
        return 0
    base = committed if committed is not None else position
    if base is None:
        return None
    return max(0, highwater - base)


def group_partitions(assignment: Iterable[Partition]) -> list[Partition]:
    """The assigned partitions whose offsets the consumer group commits (changelogs left out), sorted."""
    return sorted(tp for tp in assignment if not tp[0].endswith(CHANGELOG_SUFFIX))


def assigned_by_topic(partitions: Iterable[Partition]) -> dict[str, int]:
    return dict(Counter(topic for topic, _ in partitions))


class LagGauges:
    """Sets the two gauges from one round's figures, and removes what is no longer this worker's."""

    def __init__(self, lag: Any = CONSUMER_LAG, assigned: Any = ASSIGNED_PARTITIONS) -> None:
        self._lag = lag
        self._assigned = assigned
        self._lag_shown: set[Partition] = set()
        self._topics_shown: set[str] = set()

    def set_assigned(self, partitions: Iterable[Partition]) -> None:
        """Partitions per topic; a topic this worker no longer reads stays at 0 (one series per topic)."""
        counts = assigned_by_topic(partitions)
        for topic in self._topics_shown | set(counts):
            self._assigned.labels(topic).set(counts.get(topic, 0))
        self._topics_shown |= set(counts)

    def set_lag(self, lags: Mapping[Partition, int | None]) -> None:
        """The lag of every partition with a known figure; partitions not in ``lags`` lose their series,
        those with an unknown figure keep their last one."""
        for topic, partition in self._lag_shown - set(lags):
            self._lag.remove(topic, str(partition))
        self._lag_shown &= set(lags)
        for (topic, partition), lag in lags.items():
            if lag is not None:
                self._lag.labels(topic, str(partition)).set(lag)
                self._lag_shown.add((topic, partition))


def _committed(consumer: Any, tp: Any) -> int | None:
    """What Faust last committed (or read from the group at assignment) for ``tp``; its record is private,
    so anything unexpected reads as unknown."""
    record = getattr(consumer, "_committed_offset", None)
    if not isinstance(record, Mapping):
        return None
    offset = record.get(tp)
    return offset if isinstance(offset, int) else None


async def measure(
    consumer: Any, highwater: Callable[[Any], int | None], position: Callable[[Any], Awaitable[int | None]]
) -> tuple[list[Partition], dict[Partition, int | None]]:
    """One round: the group's assigned partitions and each one's lag."""
    assignment = {(tp.topic, tp.partition): tp for tp in consumer.assignment()}
    partitions = group_partitions(assignment)
    lags: dict[Partition, int | None] = {}
    for key in partitions:
        tp = assignment[key]
        committed = _committed(consumer, tp)
        high = highwater(tp)
        at = None
        if committed is None and high:  # never committed, and something to be behind on
            try:
                at = await position(tp)
            except Exception:  # revoked meanwhile, or not fetched yet: unknown this round
                at = None
        lags[key] = partition_lag(high, committed, at)
    return partitions, lags


def wire_lag_metrics(worker: PipelineWorker, interval_s: float = LAG_INTERVAL_S) -> LagGauges:
    """The timer and the assignment hook that keep both gauges; returns the gauges' keeper."""
    gauges = LagGauges()
    app = worker.app

    async def position(tp: Any) -> int | None:
        found = await app.consumer.position(tp)
        return found if isinstance(found, int) else None

    async def lag_round() -> None:
        try:
            partitions, lags = await measure(app.consumer, worker._highwater, position)
        except Exception:  # the consumer is not there yet, or is being rebuilt: next round
            log.debug("consumer lag not measured this round", exc_info=True)
            return
        gauges.set_assigned(partitions)
        gauges.set_lag(lags)

    @app.on_partitions_assigned.connect
    def _assigned(sender: Any, /, *args: Any, **kwargs: Any) -> None:
        gauges.set_assigned(group_partitions((tp.topic, tp.partition) for tp in args[0]))

    app.timer(interval_s)(lag_round)
    return gauges
