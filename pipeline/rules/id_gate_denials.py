"""``id_gate.repeated_denials``: one person denied at ID gates again and again within minutes.

Key: the card's token, so denials at different gates of the city add up. State: the person's recent
denials (``bursts``). Fires (medium) when ``id_denials_min`` (3) denials fall within
``id_denials_window`` (10 min), once per burst; evidence: the denials of that window. Must not count
passes, and must not treat a denial for 'watchlist' differently: ``watchlist.person`` raises that one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import ClassVar

from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.id_gate import GateResult, IdVerification
from pipeline.rules.base import SubjectKind
from pipeline.rules.bursts import Attempt, BurstRule
from pipeline.rules.common import minutes
from pipeline.rules.settings import RuleSettings

RULE = "id_gate.repeated_denials"


@dataclass(frozen=True)
class IdGateDenialsRule(BurstRule):
    settings: RuleSettings = field(default_factory=RuleSettings)
    name: ClassVar[str] = RULE
    # The event types ``key`` can accept: the engine asks this rule about no other (see base.Rule).
    event_types: ClassVar[tuple[type[EventEnvelope], ...]] = (IdVerification,)

    def key(self, item: EnrichedEvent) -> str | None:
        event = item.event
        denied = isinstance(event, IdVerification) and event.result is GateResult.DENY
        return event.id_number if isinstance(event, IdVerification) and denied else None

    @property
    def threshold(self) -> int:
        return self.settings.id_denials_min

    @property
    def window(self) -> timedelta:
        return self.settings.id_denials_window

    def describe(self, item: EnrichedEvent, burst: tuple[Attempt, ...]) -> tuple[str, SubjectKind, str]:
        check = item.event
        assert isinstance(check, IdVerification)  # key() let only ID gate denials through
        reason = check.deny_reason.value if check.deny_reason else "denied"
        summary = (
            f"{check.id_number} denied {len(burst)} times within {minutes(burst[-1].at - burst[0].at)} "
            f"at ID gates (latest: {reason} at {check.device_id})"
        )
        return check.id_number, SubjectKind.PERSON_TOKEN, summary
