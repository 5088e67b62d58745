"""A synthetic plate watch list of any size: plates no simulated vehicle carries, and a few that are
injected into the traffic so that the watch-list rule raises alerts at a known rate."""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.contracts import PlateWatchEntry

PLATE_HEAD = "WL"  # simulated plates start with a province character, so these never collide with them


def watch_plates(size: int) -> list[str]:
    """``size`` distinct plates, ``WL`` + at least six digits (valid under ``PLATE_PATTERN``)."""
    digits = max(6, len(str(max(size - 1, 0))))
    return [f"{PLATE_HEAD}{i:0{digits}d}" for i in range(size)]


def watch_entries(plates: list[str]) -> Iterator[tuple[bytes, bytes]]:
    """(key, value) records of the plate watch-list topic, key the plate."""
    for index, plate in enumerate(plates):
        entry = PlateWatchEntry(
            plate=plate, category="wanted", reason=f"bench entry {index}", priority=1 + index % 3
        )
        yield plate.encode(), entry.model_dump_json().encode()
