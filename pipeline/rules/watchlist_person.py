"""``watchlist.person``: a watched person's token in an event that identifies people by card or ID.

ID-gate verifications, campus and community access, depot door badges: any event whose person fields
(after the privacy stage, tokens) include an active entry of the person watch list. Stateless; key: the
matched token (the worker needs no repartition). Severity follows the entry's priority (1 critical ..
4 low). Confidence: an ID-gate read is as sure as the gate's own face-vs-card similarity; a card or badge
can be lent, so 0.7. Must not look at face captures: a face candidate is only a candidate until its
similarity passes ``watchlist.face``'s threshold, and that rule judges it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.face import FaceCapture
from pipeline.contracts.families import EVENT_TYPES
from pipeline.contracts.id_gate import IdVerification
from pipeline.contracts.sites import PersonWatchEntry
from pipeline.rules.base import Detection, SubjectKind
from pipeline.rules.common import StatelessRule, severity_for_priority
from pipeline.rules.references import References
from pipeline.rules.settings import WATCHLIST_PERSON, RuleSettings
from pipeline.stages.enrich import person_tokens

CARD_CONFIDENCE = 0.7


def _watched(enriched: EnrichedEvent, refs: References) -> tuple[str, PersonWatchEntry] | None:
    event = enriched.event
    for token in person_tokens(event):
        entry = refs.person_watchlist.get(token)
        if entry is not None and entry.active_at(event.event_time):
            return token, entry
    return None


# Every event type with a person field, but face captures (``watchlist.face`` judges those).
PERSON_EVENT_TYPES = tuple(t for t in EVENT_TYPES.values() if t.PERSON_FIELDS and t is not FaceCapture)


@dataclass(frozen=True)
class PersonWatchRule(StatelessRule):
    settings: RuleSettings = field(default_factory=RuleSettings)
    name: ClassVar[str] = WATCHLIST_PERSON
    # The event types ``key`` can accept: the engine asks this rule about no other (see base.Rule).
    event_types: ClassVar[tuple[type[EventEnvelope], ...]] = PERSON_EVENT_TYPES

    def key(self, item: EnrichedEvent) -> str | None:
        if isinstance(item.event, FaceCapture):
            return None
        tokens = person_tokens(item.event)
        return tokens[0] if tokens else None

    def detect(self, enriched: EnrichedEvent, refs: References) -> Detection | None:
        found = _watched(enriched, refs)
        if found is None:
            return None
        token, entry = found
        event = enriched.event
        confidence = event.face_similarity if isinstance(event, IdVerification) else CARD_CONFIDENCE
        how = event.schema_name.replace("_", " ")
        return Detection.of_event(
            enriched,
            rule=self.name,
            severity=severity_for_priority(entry.priority),
            subject=token,
            subject_kind=SubjectKind.PERSON_TOKEN,
            summary=(
                f"watched person {token} ({entry.category}, priority {entry.priority}: {entry.reason}) "
                f"by {how} at {event.device_id}" + (f", site {enriched.site_id}" if enriched.site_id else "")
            ),
            confidence=confidence,
        )
