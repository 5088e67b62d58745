"""Every reference topic a worker reads, as live read-only mappings: the feeds and the ``References`` view."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from pipeline.contracts import DeviceRecord, PersonWatchEntry, PlateWatchEntry
from pipeline.contracts.sites import CrowdZone, DepotRecord, GridCellRecord, Site, TransportPermit
from pipeline.reference_feed import PARSED, ReferenceFeed, Storage, as_json, wait_all_ready
from pipeline.rules.references import References
from pipeline.topics import Topics

log = logging.getLogger(__name__)

# Reference topic -> the record it holds; keys are as the topics key them (see pipeline/topics.py).
RECORDS: dict[str, type[BaseModel]] = {
    "devices": DeviceRecord,
    "sites": Site,
    "crowd_zones": CrowdZone,
    "depots": DepotRecord,
    "permits": TransportPermit,
    "grid_cells": GridCellRecord,
    "watchlist.plates": PlateWatchEntry,
    "watchlist.persons": PersonWatchEntry,
}
# The watch lists may hold a million entries and are asked mostly for keys they do not have: kept as
# compact JSON (~250 bytes an entry instead of ~1,200 as models), validated again on a hit. The rest is
# read on every event and stays parsed; so do the grid cells (the city profile's 1,354 take about 0.65 MB
# with shared field sets, and the locate stage's index over them about 0.1 MB more). See
# pipeline/reference_feed.py.
COMPACT = frozenset({"watchlist.plates", "watchlist.persons"})


def storage_of(name: str) -> Storage[Any]:
    return as_json(RECORDS[name]) if name in COMPACT else PARSED


class ReferenceFeeds:
    def __init__(self, bootstrap: str, topics: Topics) -> None:
        self.feeds: dict[str, ReferenceFeed[Any]] = {}
        for name, model in RECORDS.items():
            parse: Callable[[bytes], Any] = model.model_validate_json
            self.feeds[name] = ReferenceFeed(
                bootstrap, topics.reference(name), parse, name.replace(".", "_"), storage_of(name)
            )
        self.references = References(
            devices=self.feeds["devices"].view,
            sites=self.feeds["sites"].view,
            crowd_zones=self.feeds["crowd_zones"].view,
            depots=self.feeds["depots"].view,
            permits=self.feeds["permits"].view,
            grid_cells=self.feeds["grid_cells"].view,
            plate_watchlist=self.feeds["watchlist.plates"].view,
            person_watchlist=self.feeds["watchlist.persons"].view,
        )
        self._ready: asyncio.Future[None] | None = None

    async def ready(self, timeout_s: float) -> None:
        """Load every reference topic once, before the first batch, so the first events are enriched too.
        Agents all await this; the first caller starts the feeds."""
        if self._ready is None:
            self._ready = asyncio.get_running_loop().create_future()
            try:
                for feed in self.feeds.values():
                    feed.start()
                await asyncio.to_thread(wait_all_ready, list(self.feeds.values()), timeout_s)
                log.info("reference data loaded: %s", self.summary())
                self._ready.set_result(None)
            except BaseException as exc:
                self._ready.set_exception(exc)
                raise
        await self._ready

    def summary(self) -> str:
        return ", ".join(f"{len(feed.view)} {name}" for name, feed in self.feeds.items())

    def loaded(self) -> bool:
        """True once every feed loaded what its topic held at start (safe from any thread)."""
        return all(feed.wait_ready(0) for feed in self.feeds.values())

    def stop(self) -> None:
        for feed in self.feeds.values():
            feed.stop()
