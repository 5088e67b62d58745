"""``school.emergency``: a real press of a school's one-key alarm button: critical, at once.

Stateless; key and subject: the school's site id (its buttons share one alert), or the button's device
id when the registry gives no site. Fires on every press with ``test=False``; nothing waits, nothing is
suppressed here (the alert book merges repeated presses into one alert). Must not fire on scheduled test
presses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from pipeline.contracts.alert import Severity
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.school import EmergencyAlarm
from pipeline.rules.base import Detection, SubjectKind
from pipeline.rules.common import StatelessRule
from pipeline.rules.references import References
from pipeline.rules.settings import RuleSettings

RULE = "school.emergency"


@dataclass(frozen=True)
class SchoolEmergencyRule(StatelessRule):
    settings: RuleSettings = field(default_factory=RuleSettings)
    name: ClassVar[str] = RULE
    # The event types ``key`` can accept: the engine asks this rule about no other (see base.Rule).
    event_types: ClassVar[tuple[type[EventEnvelope], ...]] = (EmergencyAlarm,)

    def key(self, item: EnrichedEvent) -> str | None:
        event = item.event
        if not isinstance(event, EmergencyAlarm) or event.test:
            return None
        return item.site_id or event.device_id

    def detect(self, enriched: EnrichedEvent, refs: References) -> Detection | None:
        alarm = enriched.event
        if not isinstance(alarm, EmergencyAlarm) or alarm.test:
            return None
        site = refs.sites.get(enriched.site_id) if enriched.site_id else None
        where = site.name if site is not None else (enriched.site_id or alarm.device_id)
        return Detection.of_event(
            enriched,
            rule=self.name,
            severity=Severity.CRITICAL,
            subject=enriched.site_id or alarm.device_id,
            subject_kind=SubjectKind.SITE_ID if enriched.site_id else SubjectKind.DEVICE_ID,
            summary=f"emergency alarm pressed at {where} (button {alarm.button_id}, {alarm.device_id})",
        )
