"""What a scenario is: known situations injected into the traffic, with the alerts they must raise.

A scenario gets a ``ScenarioContext`` (the world, the run's start, a seeded rng, the pseudonymiser) and a
time to begin; it returns an ``Injection``: the messages it sends and when, one ``GroundTruth`` per alert the
pipeline should raise, the reference data the pipeline needs first (watch-list entries, a depot's hours, a
permit) and what the background must leave alone (its devices, zones, plates, ID numbers). Ground truth
never holds a raw person identifier: people are named by their token under the configured key.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from pipeline.contracts.alert import Severity
from pipeline.contracts.reference import DeviceFamily, DeviceRecord, PlateWatchEntry
from pipeline.contracts.sites import DepotRecord, PersonWatchEntry, TransportPermit
from pipeline.simulate.background import Reservations
from pipeline.simulate.messages import MessageKind, SimulatedMessage
from pipeline.simulate.streams import Document, device_delay, envelope
from pipeline.simulate.timing import DeviceDelays, as_datetime
from pipeline.simulate.world import SimulationWorld
from pipeline.stages.privacy import Pseudonymiser


class ScenarioError(ValueError):
    """A scenario cannot run: the registry lacks what it needs, or the HMAC key is missing."""


@dataclass(frozen=True)
class ScheduledMessage:
    send_ts: float
    message: SimulatedMessage


@dataclass(frozen=True)
class GroundTruth:
    """One alert the pipeline should raise.

    ``subject_kind`` is one of plate, person_token, device_id, zone_id, site_id."""

    scenario: str
    rule: str
    subject: str
    subject_kind: str
    device_ids: tuple[str, ...]
    evidence_event_ids: tuple[str, ...]
    trigger_event_id: str  # the event on whose arrival the rule should fire
    first_event_time: datetime
    last_event_time: datetime
    severity: Severity
    site_id: str | None = None
    zone_id: str | None = None
    expected_after: datetime | None = None  # for absence rules: not before this event time
    note: str = ""

    @classmethod
    def of_event(
        cls,
        *,
        scenario: str,
        rule: str,
        subject: str,
        subject_kind: str,
        device_id: str,
        event_id: str,
        event_ts: float,
        severity: Severity,
        site_id: str | None = None,
        note: str = "",
    ) -> GroundTruth:
        """An alert raised by one event on its own: its only evidence and its trigger."""
        return cls(
            scenario=scenario,
            rule=rule,
            subject=subject,
            subject_kind=subject_kind,
            device_ids=(device_id,),
            evidence_event_ids=(event_id,),
            trigger_event_id=event_id,
            first_event_time=as_datetime(event_ts),
            last_event_time=as_datetime(event_ts),
            severity=severity,
            site_id=site_id,
            note=note,
        )

    def as_json(self) -> bytes:
        document: dict[str, Any] = {
            "scenario": self.scenario,
            "rule": self.rule,
            "subject": self.subject,
            "subject_kind": self.subject_kind,
            "device_ids": list(self.device_ids),
            "evidence_event_ids": list(self.evidence_event_ids),
            "trigger_event_id": self.trigger_event_id,
            "first_event_time": self.first_event_time,
            "last_event_time": self.last_event_time,
            "severity": self.severity.value,
            "site_id": self.site_id,
            "zone_id": self.zone_id,
            "expected_after": self.expected_after,
            "note": self.note,
        }
        return orjson.dumps(document, option=orjson.OPT_UTC_Z)


@dataclass
class Injection:
    """Everything one scenario adds to a run."""

    scenario: str
    messages: list[ScheduledMessage] = field(default_factory=list)
    ground_truth: list[GroundTruth] = field(default_factory=list)
    plate_watch: list[PlateWatchEntry] = field(default_factory=list)
    person_watch: list[PersonWatchEntry] = field(default_factory=list)
    depots: list[DepotRecord] = field(default_factory=list)  # revised reference records to publish first
    permits: list[TransportPermit] = field(default_factory=list)
    reserved: Reservations = field(default_factory=Reservations)


class ScenarioContext:
    """What scenarios share in one run: the world, the clock, a seeded rng and the pseudonymiser."""

    def __init__(
        self,
        world: SimulationWorld,
        start_ts: float,
        seed: int,
        pseudonymiser: Pseudonymiser | None = None,
    ) -> None:
        self.world = world
        self.start_ts = start_ts
        self.rng = random.Random(f"warmcity-scenarios:{seed}")
        self.ids = DeviceDelays(self.rng)
        self._pseudonymiser = pseudonymiser
        self._taken: set[str] = set()

    def token(self, identifier: str) -> str:
        if self._pseudonymiser is None:
            raise ScenarioError(
                "person scenarios need WARMCITY_PRIVACY_HMAC_KEY (the key the worker uses) to name people "
                "by token in the ground truth and the person watch list"
            )
        return self._pseudonymiser.token(identifier)

    def choose(self, devices: Sequence[DeviceRecord], what: str) -> DeviceRecord:
        """A device no other scenario of this run uses; it is then taken."""
        free = [d for d in devices if d.device_id not in self._taken]
        if not free:
            raise ScenarioError(f"the registry has no {what} left for this scenario")
        device = free[int(self.rng.random() * len(free))]
        self._taken.add(device.device_id)
        return device

    def is_free(self, device: DeviceRecord) -> bool:
        """Whether no other scenario of this run has taken the device yet."""
        return device.device_id not in self._taken

    def devices(
        self, family: DeviceFamily, where: Callable[[DeviceRecord], bool] | None = None
    ) -> list[DeviceRecord]:
        return [d for d in self.world.devices_of(family) if where is None or where(d)]

    def document(self, device_id: str, event_ts: float, schema: str) -> Document:
        return envelope(self.ids.event_id(), device_id, event_ts, schema)

    def send(
        self, scenario: str, family: DeviceFamily, document: Document, device: DeviceRecord
    ) -> ScheduledMessage:
        """The message of a valid event, sent the device's usual delay after it happened."""
        event_time = document["event_time"]
        assert isinstance(event_time, datetime)
        send_ts = event_time.timestamp() + device_delay(device)
        message = SimulatedMessage(
            key=device.device_id.encode(),
            value=orjson.dumps(document, option=orjson.OPT_UTC_Z),
            kind=MessageKind.INJECTED,
            family=family,
            schema=str(document["schema"]),
            event_id=str(document["event_id"]),
            event_time=event_time,
            scenario=scenario,
        )
        return ScheduledMessage(send_ts, message)


def span(messages: Sequence[ScheduledMessage]) -> tuple[datetime, datetime]:
    """First and last event time of some messages."""
    times = [m.message.event_time for m in messages if m.message.event_time is not None]
    return min(times), max(times)


def at(ts: float) -> datetime:
    return as_datetime(ts)
