"""``explosives.depot_after_hours``: a depot door opened outside the depot's permitted windows.

Stateless; key and subject: the depot (the door sensor's site id). The opening's event time is taken to
local time (``local_timezone``, Asia/Shanghai) and checked against the depot's ``permitted_hours``: a
window 'HH:MM-HH:MM' includes its start and excludes its end ('24:00' runs to midnight; a window whose
end is before its start runs past midnight). Fires (critical: 'zero loss, zero theft') on any opening
outside every window. Must not fire on closings, and must not guess hours for a depot the reference data
lacks (no record: no detection; the registry needs fixing, not the command room).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import ClassVar

from pipeline.contracts.alert import Severity
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.explosives import DepotDoor, DoorAction
from pipeline.contracts.sites import DepotRecord
from pipeline.rules.base import Detection, SubjectKind
from pipeline.rules.common import StatelessRule
from pipeline.rules.references import References
from pipeline.rules.settings import RuleSettings

RULE = "explosives.depot_after_hours"


def within_hours(depot: DepotRecord, local: time) -> bool:
    for start, end in depot.windows():
        if start <= end:
            if start <= local < end or (end == time.max and local >= start):
                return True
        elif local >= start or local < end:
            return True
    return False


@dataclass(frozen=True)
class DepotAfterHoursRule(StatelessRule):
    settings: RuleSettings = field(default_factory=RuleSettings)
    name: ClassVar[str] = RULE
    # The event types ``key`` can accept: the engine asks this rule about no other (see base.Rule).
    event_types: ClassVar[tuple[type[EventEnvelope], ...]] = (DepotDoor,)

    def key(self, item: EnrichedEvent) -> str | None:
        event = item.event
        if not isinstance(event, DepotDoor) or event.action is not DoorAction.OPEN:
            return None
        return item.site_id or event.device_id

    def detect(self, enriched: EnrichedEvent, refs: References) -> Detection | None:
        door = enriched.event
        if not isinstance(door, DepotDoor) or door.action is not DoorAction.OPEN:
            return None
        depot = refs.depots.get(enriched.site_id) if enriched.site_id else None
        if depot is None:
            return None
        local = door.event_time.astimezone(self.settings.zone)
        if within_hours(depot, local.time()):
            return None
        hours = ", ".join(depot.permitted_hours) or "none"
        by = f" by badge {door.operator_id}" if door.operator_id else ""
        return Detection.of_event(
            enriched,
            rule=self.name,
            severity=Severity.CRITICAL,
            subject=depot.depot_id,
            subject_kind=SubjectKind.SITE_ID,
            summary=(
                f"depot {depot.depot_id} door {door.door} opened at {local:%H:%M} local{by}, "
                f"outside its permitted hours ({hours})"
            ),
        )
