"""``watchlist.face``: a face capture whose gallery candidate is watched, similarity at the threshold or more.

Stateless; key: the candidate's token. The capture's own template token is not a person (it names one
picture), so only ``candidate_id_number`` is looked up. Fires when similarity >= ``face_similarity_min``
(default 0.9); severity follows the entry's priority; confidence is the similarity. Must not judge
image quality: the face system already chose its best candidate, and a threshold on similarity is what
the command room agreed on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.face import FaceCapture
from pipeline.rules.base import Detection, SubjectKind
from pipeline.rules.common import StatelessRule, severity_for_priority
from pipeline.rules.references import References
from pipeline.rules.settings import WATCHLIST_FACE, RuleSettings


@dataclass(frozen=True)
class FaceWatchRule(StatelessRule):
    settings: RuleSettings = field(default_factory=RuleSettings)
    name: ClassVar[str] = WATCHLIST_FACE
    # The event types ``key`` can accept: the engine asks this rule about no other (see base.Rule).
    event_types: ClassVar[tuple[type[EventEnvelope], ...]] = (FaceCapture,)

    def key(self, item: EnrichedEvent) -> str | None:
        event = item.event
        return event.candidate_id_number if isinstance(event, FaceCapture) else None

    def detect(self, enriched: EnrichedEvent, refs: References) -> Detection | None:
        capture = enriched.event
        if not isinstance(capture, FaceCapture) or capture.candidate_id_number is None:
            return None
        similarity = capture.similarity
        if similarity is None or similarity < self.settings.face_similarity_min:
            return None
        entry = refs.person_watchlist.get(capture.candidate_id_number)
        if entry is None or not entry.active_at(capture.event_time):
            return None
        return Detection.of_event(
            enriched,
            rule=self.name,
            severity=severity_for_priority(entry.priority),
            subject=capture.candidate_id_number,
            subject_kind=SubjectKind.PERSON_TOKEN,
            summary=(
                f"face of watched person {capture.candidate_id_number} ({entry.category}, priority "
                f"{entry.priority}: {entry.reason}) at {capture.device_id}, similarity {similarity:.2f}, "
                f"quality {capture.quality:.2f}"
            ),
            confidence=similarity,
        )
