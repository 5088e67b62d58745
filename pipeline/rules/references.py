"""The reference data rules read: a frozen bundle of read-only mappings, one per compacted reference topic.

In a worker the mappings are the reference feeds' live views (``pipeline.reference_feed``), so an added
watch-list entry is seen on the next event without a restart; in tests and benchmarks they are plain
dicts. Rules only ever read them, and only through ``Mapping`` (``get``, ``[]``, ``in``): a view may
rebuild a value on each read (the watch lists are kept as compact JSON), so a value read twice is equal,
not necessarily the same object. A rule must not rely on a mapping being complete at start-up beyond
what the worker guarantees (every reference topic loaded before the agents run).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pipeline.contracts.reference import DeviceRecord, PlateWatchEntry
from pipeline.contracts.sites import (
    CrowdZone,
    DepotRecord,
    GridCellRecord,
    PersonWatchEntry,
    Site,
    TransportPermit,
)


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class References:
    devices: Mapping[str, DeviceRecord] = field(default_factory=_empty)
    sites: Mapping[str, Site] = field(default_factory=_empty)
    crowd_zones: Mapping[str, CrowdZone] = field(default_factory=_empty)
    depots: Mapping[str, DepotRecord] = field(default_factory=_empty)
    permits: Mapping[str, TransportPermit] = field(default_factory=_empty)
    plate_watchlist: Mapping[str, PlateWatchEntry] = field(default_factory=_empty)
    person_watchlist: Mapping[str, PersonWatchEntry] = field(default_factory=_empty)
    grid_cells: Mapping[str, GridCellRecord] = field(default_factory=_empty)

    @classmethod
    def from_records(
        cls,
        devices: Iterable[DeviceRecord] = (),
        sites: Iterable[Site] = (),
        crowd_zones: Iterable[CrowdZone] = (),
        depots: Iterable[DepotRecord] = (),
        permits: Iterable[TransportPermit] = (),
        plate_watchlist: Iterable[PlateWatchEntry] = (),
        person_watchlist: Iterable[PersonWatchEntry] = (),
        grid_cells: Iterable[GridCellRecord] = (),
    ) -> References:
        """Keyed as the reference topics key them (a city from ``build_city`` passes straight in)."""
        return cls(
            devices=MappingProxyType({d.device_id: d for d in devices}),
            sites=MappingProxyType({s.site_id: s for s in sites}),
            crowd_zones=MappingProxyType({z.zone_id: z for z in crowd_zones}),
            depots=MappingProxyType({d.depot_id: d for d in depots}),
            permits=MappingProxyType({p.permit_id: p for p in permits}),
            plate_watchlist=MappingProxyType({e.plate: e for e in plate_watchlist}),
            person_watchlist=MappingProxyType({e.subject_token: e for e in person_watchlist}),
            grid_cells=MappingProxyType({c.grid_cell_id: c for c in grid_cells}),
        )
