"""Events about people: face captures and ID verifications at station exits and checkpoint stations.

The people are fake (``identity``) and never the scenarios' watched people: background people are drawn
from a sequence-code range the scenarios do not use, and an explicit exclusion set guards the rest.
Margins against the rules: a background face capture's candidate has a similarity below 0.80 (watchlist.face
needs 0.9 and a watched candidate); a background face-mismatch denial has a similarity in [0.62, 0.70), the
gate's own threshold being 0.70 (id_gate.face_mismatch looks below 0.6); gates in the background never deny
for 'watchlist'.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from typing import ClassVar

from pipeline.contracts.id_gate import DenyReason, GateResult
from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.simulate.identity import Person, face_template_id, person
from pipeline.simulate.streams import Document, EventStream, GeneratedEvent
from pipeline.simulate.timing import PEDESTRIAN, TRAVEL, DeviceDelays

FACES_PER_SYSTEM = 0.5  # captures per second at the peak: a busy pedestrian street or station hall
VERIFICATIONS_PER_GATE = 0.2  # travellers per second per exit gate at the peak
CANDIDATE_SHARE = 0.12  # captures where the gallery offered a (weak) candidate
BACKGROUND_CANDIDATE_MAX = 0.80
DENY_SHARE = 0.03
GATE_THRESHOLD = 0.70  # what the gates themselves require of live face against the card's photo
# Background deny reasons and their shares; 'watchlist' is left to the scenarios.
_DENY_REASONS = (DenyReason.FACE_MISMATCH, DenyReason.ID_EXPIRED, DenyReason.ID_INVALID, DenyReason.MANUAL)
_DENY_CUMULATIVE = (0.45, 0.70, 0.85, 1.00)


def face_capture_document(
    document: Document,
    capture_id: str,
    template_id: str,
    candidate: str | None,
    similarity: float | None,
    quality: float,
) -> Document:
    document.update(
        capture_id=capture_id,
        face_template_id=template_id,
        candidate_id_number=candidate,
        similarity=similarity,
        quality=quality,
    )
    return document


def id_verification_document(
    document: Document, holder: Person, similarity: float, reason: DenyReason | None
) -> Document:
    document.update(
        id_number=holder.id_number,
        name=holder.name,
        face_similarity=similarity,
        result=(GateResult.PASS if reason is None else GateResult.DENY).value,
        deny_reason=reason.value if reason else None,
    )
    return document


class _People:
    """Draws background people, never one of the excluded (watched) ID numbers."""

    def __init__(self, rng: random.Random, excluded: Collection[str]) -> None:
        self._rng = rng
        self._excluded = frozenset(excluded)

    def draw(self, born_from: int = 1950, born_to: int = 2008) -> Person:
        while True:
            someone = person(self._rng.getrandbits(48), born_from, born_to)
            if someone.id_number not in self._excluded:
                return someone


class _PeopleStream(EventStream):
    """A stream of events about background people, never the excluded (watched) ID numbers."""

    per_device: ClassVar[float]  # events per second per device at the peak

    def __init__(
        self,
        rng: random.Random,
        delays: DeviceDelays,
        devices: Sequence[DeviceRecord],
        excluded_ids: Collection[str] = (),
    ) -> None:
        super().__init__(rng, delays, devices)
        self._people = _People(rng, excluded_ids)

    def peak_rate(self) -> float:
        return self.per_device * len(self._devices)


class FaceCaptureStream(_PeopleStream):
    family = DeviceFamily.FACE_RECOGNITION
    schema = "face_capture"
    curve = PEDESTRIAN
    per_device = FACES_PER_SYSTEM

    def make(self, send_ts: float) -> GeneratedEvent | None:
        rng = self._rng
        index = self._pick()
        document, event_ts, late = self._start(index, send_ts)
        candidate, similarity = None, None
        if rng.random() < CANDIDATE_SHARE:
            candidate = self._people.draw().id_number
            similarity = round(min(BACKGROUND_CANDIDATE_MAX - 0.001, rng.betavariate(5, 4)), 3)
        quality = round(rng.uniform(0.35, 0.99), 3)
        capture_id = f"{rng.getrandbits(48):012x}"
        template = face_template_id(rng.getrandbits(63))
        face_capture_document(document, capture_id, template, candidate, similarity, quality)
        return self._event(index, document, event_ts, late)


class IdVerificationStream(_PeopleStream):
    family = DeviceFamily.ID_GATE
    schema = "id_verification"
    curve = TRAVEL
    per_device = VERIFICATIONS_PER_GATE

    def make(self, send_ts: float) -> GeneratedEvent | None:
        rng = self._rng
        index = self._pick()
        document, event_ts, late = self._start(index, send_ts)
        traveller = self._people.draw(1940, 2010)
        reason: DenyReason | None = None
        similarity = round(min(0.995, max(GATE_THRESHOLD + 0.02, rng.gauss(0.90, 0.05))), 3)
        if rng.random() < DENY_SHARE:
            roll = rng.random()
            reason = next(r for r, top in zip(_DENY_REASONS, _DENY_CUMULATIVE, strict=True) if roll < top)
            if reason is DenyReason.FACE_MISMATCH:  # marginal cases: glasses, an old photo, bad light
                similarity = round(rng.uniform(0.62, GATE_THRESHOLD - 0.001), 3)
        id_verification_document(document, traveller, similarity, reason)
        return self._event(index, document, event_ts, late)
