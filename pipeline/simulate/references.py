"""Publishes what a run's scenarios need the pipeline to know before their traffic starts.

Watch-list entries (the wanted plate, the wanted person's token), a depot's revised hours, a permit issued
for the run: each to its compacted reference topic, keyed like the rest of that topic (plate, subject token,
``depot_id``, ``permit_id``), so the latest version wins and a worker reads it within seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from pipeline.reference_publish import publish_records
from pipeline.simulate.scenarios.catalogue import ScenarioPlan
from pipeline.topics import Topics


def plan_references(plan: ScenarioPlan) -> dict[str, list[tuple[bytes, bytes]]]:
    """``(key, value)`` records of the plan, by reference topic name (only topics that get any)."""

    def keyed(records: Sequence[BaseModel], field: str) -> list[tuple[bytes, bytes]]:
        return [(str(getattr(r, field)).encode(), r.model_dump_json().encode()) for r in records]

    by_topic = {
        "watchlist.plates": keyed(plan.plate_watch, "plate"),
        "watchlist.persons": keyed(plan.person_watch, "subject_token"),
        "depots": keyed(plan.depots, "depot_id"),
        "permits": keyed(plan.permits, "permit_id"),
    }
    return {name: records for name, records in by_topic.items() if records}


def publish_plan_references(bootstrap: str, topics: Topics, plan: ScenarioPlan) -> dict[str, int]:
    """Publish the plan's reference records and wait for them; return how many went to each topic."""
    return {
        name: publish_records(bootstrap, topics.reference(name), records)
        for name, records in plan_references(plan).items()
    }
