"""``device.offline``: a camera's heartbeats stopped for longer than ``offline_after`` (default 180 s).

Key: the device id; only heartbeats count (a camera that never heartbeats is never tracked, so it never
goes offline). State: the newest heartbeat (by event time) and whether the device is offline. ``tick``
raises it (medium) once ``now`` is strictly more than ``offline_after`` past the newest heartbeat; the
next newer heartbeat clears it. A device silent for ``device_forget_after`` is forgotten (its open alert
stays for an operator). Must not use the registry to forget devices: an empty registry at start-up
would wipe every device's state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict

from pipeline.contracts.alert import Severity
from pipeline.contracts.camera import CameraHeartbeat
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.reference import DeviceFamily, Place
from pipeline.rules.base import Detection, SubjectKind
from pipeline.rules.common import device_detection, minutes
from pipeline.rules.references import References
from pipeline.rules.settings import RuleSettings

RULE = "device.offline"


class HeartbeatState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    last_beat: AwareDatetime
    last_event_id: str
    place: Place
    family: DeviceFamily
    site_id: str | None = None
    offline: bool = False


@dataclass(frozen=True)
class OfflineRule:
    settings: RuleSettings = field(default_factory=RuleSettings)
    name: ClassVar[str] = RULE
    # The event types ``key`` can accept: the engine asks this rule about no other (see base.Rule).
    event_types: ClassVar[tuple[type[EventEnvelope], ...]] = (CameraHeartbeat,)
    stateful: ClassVar[bool] = True
    state_model: ClassVar[type[HeartbeatState]] = HeartbeatState
    # A tenth of the silence allowed: an offline device is reported at most 10% late.
    tick_every: ClassVar[timedelta | None] = timedelta(seconds=15)

    def key(self, item: EnrichedEvent) -> str | None:
        return item.event.device_id if isinstance(item.event, CameraHeartbeat) else None

    def apply(
        self, state: HeartbeatState | None, item: EnrichedEvent, refs: References
    ) -> tuple[HeartbeatState | None, tuple[Detection, ...]]:
        beat = item.event
        if not isinstance(beat, CameraHeartbeat):
            return state, ()
        if state is not None and beat.event_time <= state.last_beat:
            return state, ()  # late or replayed: says nothing about now
        new_state = HeartbeatState(
            last_beat=beat.event_time,
            last_event_id=beat.event_id,
            place=item.place,
            family=item.family,
            site_id=item.site_id,
        )
        if state is None or not state.offline:
            return new_state, ()
        cleared = Detection.of_event(
            item,
            rule=self.name,
            severity=Severity.MEDIUM,
            subject=beat.device_id,
            subject_kind=SubjectKind.DEVICE_ID,
            summary=f"{beat.device_id} back online after {minutes(beat.event_time - state.last_beat)} silent",
            evidence=(state.last_event_id, beat.event_id),
            first_seen=state.last_beat,
            clears=True,
        )
        return new_state, (cleared,)

    def tick(
        self, state: HeartbeatState, key: str, now: datetime, refs: References
    ) -> tuple[HeartbeatState | None, tuple[Detection, ...]]:
        silent = now - state.last_beat
        if state.offline:
            return (None if silent > self.settings.device_forget_after else state), ()
        if silent <= self.settings.offline_after:
            return state, ()
        detection = device_detection(
            self.name,
            key,
            state,
            summary=f"no heartbeat from {key} for {minutes(silent)} (last {state.last_beat:%H:%M:%S} UTC)",
            evidence=(state.last_event_id,),
            first_seen=state.last_beat,
            last_seen=state.last_beat,
        )
        return state.model_copy(update={"offline": True}), (detection,)

    def due(self, state: HeartbeatState) -> datetime | None:
        after = self.settings.device_forget_after if state.offline else self.settings.offline_after
        # tick fires strictly after the limit; a microsecond later is the first moment it can.
        return state.last_beat + after + timedelta(microseconds=1)
