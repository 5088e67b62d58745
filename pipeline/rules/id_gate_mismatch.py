"""``id_gate.face_mismatch``: the live face at an ID gate does not look like the card's photo.

Stateless; key: the card's token. Fires (high) when ``face_similarity`` is strictly below
``id_face_mismatch_below`` (default 0.6), whatever the gate decided: a gate that let the person through
is the worse case. The subject is the card's holder (the person whose card someone else may be using).
Must not fire on the gate's own marginal denials (0.6 up to the gate's threshold): glasses, old photos
and bad light make those, and the gate's staff handle them on the spot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from pipeline.contracts.alert import Severity
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.id_gate import IdVerification
from pipeline.rules.base import Detection, SubjectKind
from pipeline.rules.common import StatelessRule
from pipeline.rules.references import References
from pipeline.rules.settings import RuleSettings

RULE = "id_gate.face_mismatch"


@dataclass(frozen=True)
class FaceMismatchRule(StatelessRule):
    settings: RuleSettings = field(default_factory=RuleSettings)
    name: ClassVar[str] = RULE
    # The event types ``key`` can accept: the engine asks this rule about no other (see base.Rule).
    event_types: ClassVar[tuple[type[EventEnvelope], ...]] = (IdVerification,)

    def key(self, item: EnrichedEvent) -> str | None:
        return item.event.id_number if isinstance(item.event, IdVerification) else None

    def detect(self, enriched: EnrichedEvent, refs: References) -> Detection | None:
        check = enriched.event
        if not isinstance(check, IdVerification):
            return None
        if check.face_similarity >= self.settings.id_face_mismatch_below:
            return None
        outcome = "denied" if check.deny_reason else "let through"
        return Detection.of_event(
            enriched,
            rule=self.name,
            severity=Severity.HIGH,
            subject=check.id_number,
            subject_kind=SubjectKind.PERSON_TOKEN,
            summary=(
                f"face does not match the ID card of {check.id_number} at {check.device_id}: similarity "
                f"{check.face_similarity:.2f} (below {self.settings.id_face_mismatch_below:.2f}), {outcome}"
            ),
            confidence=round(1.0 - check.face_similarity, 3),
        )
