"""``device.video_loss``: a camera's video has been lost on a channel for longer than ``video_loss_after``.

Key: the device id. State: each channel's latest change (lost or back, by event time) and whether the
device is alerting. Raised (medium) once any channel has been lost for strictly more than
``video_loss_after`` (default 180 s), by ``tick`` or by a later event of the device (its restore too: a
loss that lasted longer is raised and cleared at once when no tick came in between); cleared when every
channel is back. The grace period is deliberate: short drops that come back within seconds to two
minutes are everyday noise of mobile uplinks and would bury the command room. Restored channels are
remembered for ``video_loss_memory``, so a loss that arrives late, after its own restore, is recognised
as old news. Must not raise on a loss that came back within the grace period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict

from pipeline.contracts.camera import CameraVideoLoss
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.reference import DeviceFamily, Place
from pipeline.rules.base import Detection
from pipeline.rules.common import device_detection, minutes
from pipeline.rules.references import References
from pipeline.rules.settings import RuleSettings

RULE = "device.video_loss"


class Channel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: int
    lost: bool
    since: AwareDatetime  # event time of the latest change
    event_id: str


class VideoLossState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    channels: tuple[Channel, ...] = ()  # at most the 64 channels a camera may have
    place: Place
    family: DeviceFamily
    site_id: str | None = None
    alerting: bool = False


@dataclass(frozen=True)
class VideoLossRule:
    settings: RuleSettings = field(default_factory=RuleSettings)
    name: ClassVar[str] = RULE
    # The event types ``key`` can accept: the engine asks this rule about no other (see base.Rule).
    event_types: ClassVar[tuple[type[EventEnvelope], ...]] = (CameraVideoLoss,)
    stateful: ClassVar[bool] = True
    state_model: ClassVar[type[VideoLossState]] = VideoLossState
    tick_every: ClassVar[timedelta | None] = timedelta(seconds=15)

    def key(self, item: EnrichedEvent) -> str | None:
        return item.event.device_id if isinstance(item.event, CameraVideoLoss) else None

    def _detection(
        self, key: str, state: VideoLossState, channel: Channel, clears: bool, at: datetime
    ) -> Detection:
        lost = [c for c in state.channels if c.lost]
        if clears:
            summary = f"video of {key} back on every channel"
        else:
            summary = f"video lost on channel {channel.channel} of {key} for {minutes(at - channel.since)}"
            summary += f" ({len(lost)} channel(s) lost)" if len(lost) > 1 else ""
        return device_detection(
            self.name,
            key,
            state,
            summary=summary,
            evidence=(channel.event_id,),
            first_seen=channel.since,
            last_seen=at if clears else channel.since,
            clears=clears,
        )

    def _judge(
        self, key: str, state: VideoLossState, now: datetime
    ) -> tuple[VideoLossState, tuple[Detection, ...]]:
        lost = sorted((c for c in state.channels if c.lost), key=lambda c: c.since)
        if state.alerting and not lost:
            back = max(state.channels, key=lambda c: c.since)
            return state.model_copy(update={"alerting": False}), (
                self._detection(key, state, back, True, back.since),
            )
        if not state.alerting and lost and now - lost[0].since > self.settings.video_loss_after:
            return state.model_copy(update={"alerting": True}), (
                self._detection(key, state, lost[0], False, now),
            )
        return state, ()

    def apply(
        self, state: VideoLossState | None, item: EnrichedEvent, refs: References
    ) -> tuple[VideoLossState | None, tuple[Detection, ...]]:
        loss = item.event
        if not isinstance(loss, CameraVideoLoss):
            return state, ()
        state = state or VideoLossState(place=item.place, family=item.family, site_id=item.site_id)
        known = next((c for c in state.channels if c.channel == loss.channel), None)
        if known is not None and loss.event_time <= known.since:
            return state, ()  # older than what the channel already told us
        # What the device's channels were until this event, judged at its time: a loss that outlasted the
        # grace period is raised even when no tick saw it before this event (a worker catching up on a
        # backlog, a timer slower than the events), and before this event can end it.
        state, raised = self._judge(loss.device_id, state, loss.event_time)
        change = Channel(channel=loss.channel, lost=loss.lost, since=loss.event_time, event_id=loss.event_id)
        others = tuple(c for c in state.channels if c.channel != loss.channel)
        state = state.model_copy(
            update={"channels": tuple(sorted((*others, change), key=lambda c: c.channel))}
        )
        state, judged = self._judge(loss.device_id, state, loss.event_time)
        return state, (*raised, *judged)

    def tick(
        self, state: VideoLossState, key: str, now: datetime, refs: References
    ) -> tuple[VideoLossState | None, tuple[Detection, ...]]:
        state, detections = self._judge(key, state, now)
        horizon = now - self.settings.video_loss_memory
        kept = tuple(c for c in state.channels if c.lost or c.since >= horizon)
        if not kept and not state.alerting:
            return None, detections
        return state.model_copy(update={"channels": kept}), detections

    def due(self, state: VideoLossState) -> datetime | None:
        times = [c.since + self.settings.video_loss_memory for c in state.channels if not c.lost]
        if not state.alerting:
            grace = self.settings.video_loss_after + timedelta(microseconds=1)
            times += [c.since + grace for c in state.channels if c.lost]
        return min(times) if times else None
