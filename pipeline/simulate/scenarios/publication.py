"""What a run's scenarios put out: reference data published before their traffic, ground truth after it.

Reference data: watch-list entries (the wanted plate, the wanted person's token), a depot's revised hours,
a permit issued for the run, each to its compacted topic keyed like the rest of that topic (plate, subject
token, ``depot_id``, ``permit_id``), so the latest version wins and a worker reads it within seconds.

Ground truth: one JSON line per alert the pipeline should raise (``GroundTruth.as_json``), written at the
end of a run with the records whose evidence was actually sent: a run cut short does not promise alerts for
what it never sent. People appear only as tokens; the writer refuses a line with a raw ID number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from pipeline.reference_publish import publish_records
from pipeline.simulate.scenarios.base import GroundTruth
from pipeline.simulate.scenarios.catalogue import ScenarioPlan
from pipeline.topics import Topics

DEFAULT_DIR = Path(".run/ground-truth")
# An 18-character resident ID number standing on its own (not inside a longer run of letters or digits).
RAW_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9X](?![0-9A-Za-z])")


def default_ground_truth_path(now: datetime | None = None) -> Path:
    """``.run/ground-truth/<UTC timestamp>.jsonl``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return DEFAULT_DIR / f"{moment:%Y%m%dT%H%M%SZ}.jsonl"


def write_ground_truth(path: Path, records: Iterable[GroundTruth]) -> int:
    """Write the records as JSON lines (creating the directory); return how many were written."""
    lines = [record.as_json() for record in records]
    for line in lines:  # a last guard: a raw ID number must never reach a file operators share
        if RAW_ID_NUMBER.search(line.decode()):
            raise ValueError("refusing to write ground truth that contains a raw ID number")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return len(lines)


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
