"""What the intake agent counts of a batch's outcome, beyond events in and out: events per district and
how far ahead of the worker's clock events were timed (the clock skew of devices).

Pure helpers compute the figures from the stage's ``BatchOutcome``; ``observe_intake`` puts them into the
catalogue's metrics, one update per district and per figure (a batch holds thousands of events).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from pipeline.contracts import DeviceFamily
from pipeline.metrics import DISTRICT_EVENTS, EVENT_AHEAD_SECONDS
from pipeline.stages.intake import BatchOutcome


def district_counts(outcome: BatchOutcome) -> Counter[str]:
    """Accepted events per district of the device that sent them (``place.district`` after enrichment)."""
    return Counter(enriched.place.district for _, enriched in outcome.accepted)


def ahead_seconds(outcome: BatchOutcome, now: datetime) -> list[float]:
    """Seconds ahead of ``now`` of every event timed in the future: the accepted ones, then those
    dead-lettered as ``event_time_future`` (the stage says by how much)."""
    ahead = [
        seconds
        for _, enriched in outcome.accepted
        if (seconds := (enriched.event.event_time - now).total_seconds()) > 0
    ]
    ahead.extend(outcome.future_ahead_s)
    return ahead


def observe_intake(outcome: BatchOutcome, family: DeviceFamily, now: datetime) -> None:
    for district, count in district_counts(outcome).items():
        DISTRICT_EVENTS.labels(district, family.value).inc(count)
    ahead = ahead_seconds(outcome, now)
    if ahead:
        histogram = EVENT_AHEAD_SECONDS.labels(family.value)
        for seconds in ahead:
            histogram.observe(seconds)
