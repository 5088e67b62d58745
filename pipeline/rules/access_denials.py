"""``access.repeated_denials``: one gate refusing again and again within minutes (someone trying cards).

Person gates and vehicle barriers of communities and campus gates of schools. Key: the gate's device id
(one device is one gate). State: the gate's recent denials (``bursts``). Fires (medium) when
``access_denials_min`` (5) denials fall within ``access_denials_window`` (5 min), once per burst.
Must not count per holder: an attacker tries many cards, and a gate without a holder id (a face nobody
enrolled) still counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import ClassVar

from pipeline.contracts.community import PersonAccess, VehicleAccess
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.school import CampusAccess
from pipeline.rules.base import SubjectKind
from pipeline.rules.bursts import Attempt, BurstRule
from pipeline.rules.common import minutes
from pipeline.rules.settings import RuleSettings

RULE = "access.repeated_denials"


def _denied(item: EnrichedEvent) -> bool:
    event = item.event
    return isinstance(event, PersonAccess | VehicleAccess | CampusAccess) and not event.granted


@dataclass(frozen=True)
class AccessDenialsRule(BurstRule):
    settings: RuleSettings = field(default_factory=RuleSettings)
    name: ClassVar[str] = RULE
    # The event types ``key`` can accept: the engine asks this rule about no other (see base.Rule).
    event_types: ClassVar[tuple[type[EventEnvelope], ...]] = (PersonAccess, VehicleAccess, CampusAccess)

    def key(self, item: EnrichedEvent) -> str | None:
        return item.event.device_id if _denied(item) else None

    @property
    def threshold(self) -> int:
        return self.settings.access_denials_min

    @property
    def window(self) -> timedelta:
        return self.settings.access_denials_window

    def describe(self, item: EnrichedEvent, burst: tuple[Attempt, ...]) -> tuple[str, SubjectKind, str]:
        event = item.event
        site = f" of {item.site_id}" if item.site_id else ""
        summary = (
            f"gate {event.device_id}{site} denied {len(burst)} attempts within "
            f"{minutes(burst[-1].at - burst[0].at)}"
        )
        return event.device_id, SubjectKind.DEVICE_ID, summary
