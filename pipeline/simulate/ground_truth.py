"""Ground-truth files: one JSON line per alert the pipeline should raise for a run's scenarios.

Written at the end of a run with the records whose evidence was actually sent (a run cut short does not
promise alerts for what it never sent). Lines are ``GroundTruth.as_json``: scenario, rule, subject and its
kind, device ids, evidence and trigger event ids, first and last event time, expected severity, and for
absence rules ``expected_after``. People appear only as tokens; no raw ID number or name is ever written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from pipeline.simulate.scenarios.base import GroundTruth

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
