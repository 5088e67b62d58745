"""``access.repeated_denials``: one gate refusing again and again within minutes (someone trying cards).

Person gates and vehicle barriers of communities and campus gates of schools. Key: the gate's device id
(one device is one gate). State: the gate's recent denials (``bursts``). Fires (medium) when
``access_denials_min`` (5) denials fall within ``access_denials_window`` (5 min), once per burst.
Must not count per holder: an attacker tries many cards, and a gate without a holder id (a face nobody
enrolled) still counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from pipeline.contracts.alert import Severity
from pipeline.contracts.community import PersonAccess, VehicleAccess
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.school import CampusAccess
from pipeline.rules.base import Detection, SubjectKind
from pipeline.rules.bursts import Attempt, BurstState, forget_before, forget_due, record_attempt
from pipeline.rules.common import minutes
from pipeline.rules.references import References
from pipeline.rules.settings import RuleSettings

RULE = "access.repeated_denials"


def _denied(item: EnrichedEvent) -> bool:
    event = item.event
    return isinstance(event, PersonAccess | VehicleAccess | CampusAccess) and not event.granted


@dataclass(frozen=True)
class AccessDenialsRule:
    settings: RuleSettings = field(default_factory=RuleSettings)
    name: ClassVar[str] = RULE
    stateful: ClassVar[bool] = True
    state_model: ClassVar[type[BurstState]] = BurstState
    tick_every: ClassVar[timedelta | None] = timedelta(minutes=5)  # only to forget quiet gates

    def key(self, item: EnrichedEvent) -> str | None:
        return item.event.device_id if _denied(item) else None

    def apply(
        self, state: BurstState | None, item: EnrichedEvent, refs: References
    ) -> tuple[BurstState | None, tuple[Detection, ...]]:
        if not _denied(item):
            return state, ()
        event = item.event
        window = self.settings.access_denials_window
        attempt = Attempt(event_id=event.event_id, at=event.event_time)
        new_state, burst = record_attempt(state, attempt, self.settings.access_denials_min, window)
        if not burst:
            return new_state, ()
        site = f" of {item.site_id}" if item.site_id else ""
        detection = Detection.of_event(
            item,
            rule=self.name,
            severity=Severity.MEDIUM,
            subject=event.device_id,
            subject_kind=SubjectKind.DEVICE_ID,
            summary=(
                f"gate {event.device_id}{site} denied {len(burst)} attempts within "
                f"{minutes(burst[-1].at - burst[0].at)}"
            ),
            evidence=[a.event_id for a in burst],
            first_seen=burst[0].at,
        )
        return new_state, (detection.model_copy(update={"last_seen": burst[-1].at}),)

    def tick(
        self, state: BurstState, key: str, now: datetime, refs: References
    ) -> tuple[BurstState | None, tuple[Detection, ...]]:
        return forget_before(state, now, self.settings.access_denials_window), ()

    def due(self, state: BurstState) -> datetime | None:
        return forget_due(state, self.settings.access_denials_window)
