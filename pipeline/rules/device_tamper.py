"""``device.tamper``: a camera's own analytics say it was covered, moved, defocused or sprayed.

Stateless; key: the device id. Fires (high) when the tamper score is at least ``tamper_min_score``
(default 0.5); below that the camera itself is unsure. Must not clear by itself: no event says a camera
was cleaned or turned back, so an operator resolves it (its heartbeats go on: tampered is not offline).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from pipeline.contracts.alert import Severity
from pipeline.contracts.camera import CameraTamper
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.envelope import EventEnvelope
from pipeline.rules.base import Detection, SubjectKind
from pipeline.rules.common import StatelessRule
from pipeline.rules.references import References
from pipeline.rules.settings import RuleSettings

RULE = "device.tamper"


@dataclass(frozen=True)
class TamperRule(StatelessRule):
    settings: RuleSettings = field(default_factory=RuleSettings)
    name: ClassVar[str] = RULE
    # The event types ``key`` can accept: the engine asks this rule about no other (see base.Rule).
    event_types: ClassVar[tuple[type[EventEnvelope], ...]] = (CameraTamper,)

    def key(self, item: EnrichedEvent) -> str | None:
        return item.event.device_id if isinstance(item.event, CameraTamper) else None

    def detect(self, enriched: EnrichedEvent, refs: References) -> Detection | None:
        tamper = enriched.event
        if not isinstance(tamper, CameraTamper) or tamper.score < self.settings.tamper_min_score:
            return None
        return Detection.of_event(
            enriched,
            rule=self.name,
            severity=Severity.HIGH,
            subject=tamper.device_id,
            subject_kind=SubjectKind.DEVICE_ID,
            summary=f"camera {tamper.device_id} reports it was {tamper.kind.value}, score {tamper.score:.2f}",
            confidence=tamper.score,
        )
