"""``explosives.inventory_drop``: a depot's stock count of an item fell without a dispatch to explain it.

Key and subject: the depot (the inventory sensor's site id). State: the latest count of each item, by
event time. A count strictly below the previous one with no ``dispatch_id`` fires (critical); with a
dispatch it only moves the baseline, as a restock does. The first count of an item is compared with the
depot's nominal stock in the reference data. A count older than the item's latest is late and ignored
(it says nothing about the stock now). Must not compare different items or units, and must not fire
on a count that equals or exceeds the previous one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict

from pipeline.contracts.alert import Severity
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.explosives import DepotInventory
from pipeline.rules.base import Detection, SubjectKind
from pipeline.rules.references import References
from pipeline.rules.settings import RuleSettings

RULE = "explosives.inventory_drop"
MAX_ITEMS = 64


class ItemCount(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str
    count: int
    unit: str
    at: AwareDatetime
    event_id: str


class StockState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    items: tuple[ItemCount, ...] = ()  # by item name, at most MAX_ITEMS


@dataclass(frozen=True)
class InventoryDropRule:
    settings: RuleSettings = field(default_factory=RuleSettings)
    name: ClassVar[str] = RULE
    # The event types ``key`` can accept: the engine asks this rule about no other (see base.Rule).
    event_types: ClassVar[tuple[type[EventEnvelope], ...]] = (DepotInventory,)
    stateful: ClassVar[bool] = True
    state_model: ClassVar[type[StockState]] = StockState
    tick_every: ClassVar[timedelta | None] = None  # one record per depot, kept for good

    def key(self, item: EnrichedEvent) -> str | None:
        return (item.site_id or item.event.device_id) if isinstance(item.event, DepotInventory) else None

    def apply(
        self, state: StockState | None, item: EnrichedEvent, refs: References
    ) -> tuple[StockState | None, tuple[Detection, ...]]:
        count = item.event
        if not isinstance(count, DepotInventory):
            return state, ()
        depot_id = item.site_id or count.device_id
        state = state or StockState()
        previous = next((i for i in state.items if i.item == count.item and i.unit == count.unit), None)
        if previous is not None and count.event_time <= previous.at:
            return state, ()
        latest = ItemCount(
            item=count.item, count=count.count, unit=count.unit, at=count.event_time, event_id=count.event_id
        )
        others = [i for i in state.items if i.item != count.item]
        new_state = StockState(items=tuple(sorted([*others, latest], key=lambda i: i.item))[:MAX_ITEMS])
        depot = refs.depots.get(depot_id)
        if previous is not None:
            baseline, since = previous.count, f"{previous.at:%H:%M:%S} UTC"
        elif depot is not None and count.item in depot.stock:
            baseline, since = depot.stock[count.item], "nominal stock"
        else:
            return new_state, ()
        if count.dispatch_id is not None or count.count >= baseline:
            return new_state, ()
        detection = Detection.of_event(
            item,
            rule=self.name,
            severity=Severity.CRITICAL,
            subject=depot_id,
            subject_kind=SubjectKind.SITE_ID,
            summary=(
                f"depot {depot_id}: {count.item} down from {baseline:,} ({since}) to {count.count:,} "
                f"{count.unit} ({baseline - count.count:,} missing) without a dispatch"
            ),
        )
        return new_state, (detection,)

    def tick(
        self, state: StockState, key: str, now: datetime, refs: References
    ) -> tuple[StockState | None, tuple[Detection, ...]]:
        return state, ()

    def due(self, state: StockState) -> datetime | None:
        return None
