"""The interface between detection rules and the workers that run them: ``Detection`` and ``Rule``.

A rule is plain Python: ``key`` says which state an input belongs to (the worker repartitions by it, so
one worker owns each key), ``apply`` folds one input into that key's state, ``tick`` lets time act on it
(a heartbeat that never came, a window that closed). State is a small pydantic model per key that
serialises to JSON and back losslessly (``dump_state`` / ``load_state``): it lives in a Faust table with a
changelog. Returning ``None`` as the new state means "forget this key". Detections are what the alert
book (``pipeline.alerting.book``) turns into alerts; a rule never builds an ``Alert`` and never
suppresses across subjects. This module must not import Faust or Kafka.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from pipeline.contracts.alert import Severity
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.reference import DeviceFamily, Place
from pipeline.rules.references import References


class SubjectKind(StrEnum):
    """What a detection's subject names (the scenarios' ground truth uses the same words)."""

    PLATE = "plate"
    PERSON_TOKEN = "person_token"
    DEVICE_ID = "device_id"
    ZONE_ID = "zone_id"
    SITE_ID = "site_id"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sighting(_Frozen):
    """One read of a plate: where, on which ring, when. A trajectory is a time-ordered tuple of them."""

    event_id: str
    device_id: str
    ring: str | None
    at: AwareDatetime
    lat: float
    lon: float
    plate: str | None = Field(None, description="The plate as read, when it differs by rule from the key.")


class Detection(_Frozen):
    """What a rule found about one subject; the alert book merges detections of one rule and subject."""

    rule: str
    severity: Severity
    subject: str = Field(description="Plate, person token, device id, zone id or site id; never a raw id.")
    subject_kind: SubjectKind
    device_id: str = Field(description="The device of the latest evidence.")
    place: Place | None
    family: DeviceFamily | None = Field(description="Family of the device; None for merged incidents.")
    site_id: str | None = None
    summary: str = Field(description="One line for the operator.")
    evidence_event_ids: tuple[str, ...]
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    clears: bool = Field(False, description="The condition ended: resolve the open alert of rule+subject.")
    confidence: float = Field(1.0, ge=0, le=1, description="How sure the sensors are of the subject.")
    trajectory: tuple[Sighting, ...] = Field((), description="Ring control: the plate's reads so far.")

    @classmethod
    def of_event(
        cls,
        enriched: EnrichedEvent,
        *,
        rule: str,
        severity: Severity,
        subject: str,
        subject_kind: SubjectKind,
        summary: str,
        evidence: Sequence[str] | None = None,
        first_seen: datetime | None = None,
        confidence: float = 1.0,
        clears: bool = False,
        trajectory: Sequence[Sighting] = (),
    ) -> Detection:
        """A detection whose latest evidence is ``enriched`` (device, place, site and time taken from it)."""
        event = enriched.event
        return cls(
            rule=rule,
            severity=severity,
            subject=subject,
            subject_kind=subject_kind,
            device_id=event.device_id,
            place=enriched.place,
            family=enriched.family,
            site_id=enriched.site_id,
            summary=summary,
            evidence_event_ids=tuple(evidence) if evidence is not None else (event.event_id,),
            first_seen=first_seen or event.event_time,
            last_seen=event.event_time,
            clears=clears,
            confidence=confidence,
            trajectory=tuple(trajectory),
        )


class NoState(_Frozen):
    """The state model of stateless rules: never stored (their ``apply`` always returns ``None``)."""


StateT = TypeVar("StateT", bound=BaseModel)
InputT_contra = TypeVar("InputT_contra", contravariant=True)
Outcome = tuple[StateT | None, tuple[Detection, ...]]


class Rule(Protocol[InputT_contra, StateT]):
    """One detection rule. ``InputT`` is ``EnrichedEvent`` for event rules, ``Detection`` for rules that
    consume other rules' detections (corroboration)."""

    @property
    def name(self) -> str:
        """The rule id, e.g. 'watchlist.plate'; detections carry it as ``rule``."""
        ...

    @property
    def stateful(self) -> bool:
        """False: no table, no repartition needed; ``apply`` may run wherever the input is."""
        ...

    @property
    def state_model(self) -> type[StateT]: ...

    @property
    def tick_every(self) -> timedelta | None:
        """How often the worker should call ``tick`` on every key of the table; None: never."""
        ...

    def key(self, item: InputT_contra) -> str | None:
        """The state key ``item`` belongs to; None when the rule does not care about it.

        An event rule may declare ``event_types`` (a tuple of event classes): ``key`` returns None for
        any other type, so the engine does not ask (a test checks every declaration on every example).
        A stateful rule may also define ``wants(item, refs) -> bool``: False when ``apply`` would leave
        the state as it is and detect nothing, whatever the state; the worker then sends nothing to the
        detect topic for it (``watchlist.plate`` skips the reads of unwatched plates this way)."""
        ...

    def apply(
        self, state: StateT | None, item: InputT_contra, refs: References
    ) -> tuple[StateT | None, tuple[Detection, ...]]:
        """Fold ``item`` into its key's state (None: no state yet); the new state (None: forget the key)."""
        ...

    def tick(
        self, state: StateT, key: str, now: datetime, refs: References
    ) -> tuple[StateT | None, tuple[Detection, ...]]:
        """Let time act on one key's state. ``now`` is stream time (see docs/rules.md), not event time."""
        ...

    def due(self, state: StateT) -> datetime | None:
        """The earliest ``now`` at which ``tick`` could change this state; None: nothing pending."""
        ...


EventRule = Rule[EnrichedEvent, Any]
DetectionRule = Rule[Detection, Any]


def dump_state(state: BaseModel | None) -> dict[str, Any] | None:
    """The state as JSON-able data for the table (datetimes as RFC 3339 strings)."""
    return None if state is None else state.model_dump(mode="json")


def load_state(rule: Rule[Any, StateT], raw: Mapping[str, Any] | None) -> StateT | None:
    return None if raw is None else rule.state_model.model_validate(raw)


def capped(ids: Sequence[str], limit: int) -> tuple[str, ...]:
    """Distinct ids in order, the newest ``limit`` of them: evidence never grows without bound."""
    return tuple(dict.fromkeys(ids))[-limit:]
