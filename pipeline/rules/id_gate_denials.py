"""``id_gate.repeated_denials``: one person denied at ID gates again and again within minutes.

Key: the card's token, so denials at different gates of the city add up. State: the person's recent
denials (``bursts``). Fires (medium) when ``id_denials_min`` (3) denials fall within
``id_denials_window`` (10 min), once per burst; evidence: the denials of that window. Must not count
passes, and must not treat a denial for 'watchlist' differently: ``watchlist.person`` raises that one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from pipeline.contracts.alert import Severity
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.id_gate import GateResult, IdVerification
from pipeline.rules.base import Detection, SubjectKind
from pipeline.rules.bursts import Attempt, BurstState, forget_before, forget_due, record_attempt
from pipeline.rules.common import minutes
from pipeline.rules.references import References
from pipeline.rules.settings import RuleSettings

RULE = "id_gate.repeated_denials"


@dataclass(frozen=True)
class IdGateDenialsRule:
    settings: RuleSettings = field(default_factory=RuleSettings)
    name: ClassVar[str] = RULE
    stateful: ClassVar[bool] = True
    state_model: ClassVar[type[BurstState]] = BurstState
    tick_every: ClassVar[timedelta | None] = timedelta(minutes=5)  # only to forget quiet people

    def key(self, item: EnrichedEvent) -> str | None:
        event = item.event
        denied = isinstance(event, IdVerification) and event.result is GateResult.DENY
        return event.id_number if isinstance(event, IdVerification) and denied else None

    def apply(
        self, state: BurstState | None, item: EnrichedEvent, refs: References
    ) -> tuple[BurstState | None, tuple[Detection, ...]]:
        check = item.event
        if not isinstance(check, IdVerification) or check.result is not GateResult.DENY:
            return state, ()
        window = self.settings.id_denials_window
        attempt = Attempt(event_id=check.event_id, at=check.event_time)
        new_state, burst = record_attempt(state, attempt, self.settings.id_denials_min, window)
        if not burst:
            return new_state, ()
        reason = check.deny_reason.value if check.deny_reason else "denied"
        detection = Detection.of_event(
            item,
            rule=self.name,
            severity=Severity.MEDIUM,
            subject=check.id_number,
            subject_kind=SubjectKind.PERSON_TOKEN,
            summary=(
                f"{check.id_number} denied {len(burst)} times within {minutes(burst[-1].at - burst[0].at)} "
                f"at ID gates (latest: {reason} at {check.device_id})"
            ),
            evidence=[a.event_id for a in burst],
            first_seen=burst[0].at,
        )
        return new_state, (detection.model_copy(update={"last_seen": burst[-1].at}),)

    def tick(
        self, state: BurstState, key: str, now: datetime, refs: References
    ) -> tuple[BurstState | None, tuple[Detection, ...]]:
        return forget_before(state, now, self.settings.id_denials_window), ()

    def due(self, state: BurstState) -> datetime | None:
        return forget_due(state, self.settings.id_denials_window)
