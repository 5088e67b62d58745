"""``CitySimulator``: the whole city's traffic as one seeded stream of messages for the per-family topics.

Each message has a slot on the virtual send clock (``start + i / rate``, the publisher's schedule). A slot
goes, in this order, to: a message whose time has come (a scenario's, a retry, a door closing after it
opened); a camera heartbeat that is due; an injected read of a ``watched_plates`` plate; otherwise to a
background stream drawn by its natural rate at the slot's local hour (``MixTable``). Then the event may be
broken (``malformed_share`` per family), sent from an unregistered device, or scheduled again as a retry
(``duplicate_share``). Scenario messages are never broken, late or retried.
"""

from __future__ import annotations

import heapq
import random
from bisect import bisect_right
from collections.abc import Collection, Iterator, Mapping
from dataclasses import replace
from datetime import datetime

import orjson

from pipeline.contracts.families import EVENT_TYPES
from pipeline.contracts.reference import DeviceFamily
from pipeline.simulate.background import MixTable, build_background
from pipeline.simulate.cameras import HEARTBEAT_PERIOD_S, HeartbeatSchedule
from pipeline.simulate.malformed import fault_table, malform_event
from pipeline.simulate.messages import Clock, MessageKind, SimulatedMessage, utc_now
from pipeline.simulate.scenarios.base import GroundTruth
from pipeline.simulate.scenarios.catalogue import ScenarioPlan
from pipeline.simulate.streams import GeneratedEvent
from pipeline.simulate.timing import DeviceDelays, local_hour
from pipeline.simulate.watched import WatchedPlates
from pipeline.simulate.world import SimulationWorld

Share = float | Mapping[DeviceFamily, float]
RETRY_AFTER_S = (0.5, 5.0)  # a device re-sends when its acknowledgement does not come
_FAULTS = {name: fault_table(event_type) for name, event_type in EVENT_TYPES.items()}
_DUMP = orjson.OPT_UTC_Z


def _shares(name: str, share: Share) -> dict[DeviceFamily, float]:
    shares = dict.fromkeys(DeviceFamily, share) if isinstance(share, float | int) else dict(share)
    for family, value in shares.items():
        if not 0.0 <= value < 1.0:
            raise ValueError(f"{name} for {family} must be in [0, 1), got {value}")
    return {family: float(shares.get(family, 0.0)) for family in DeviceFamily}


class CitySimulator:
    """Seeded source of every family's messages; iterate it, or call ``next_message()``/``take(n)``."""

    def __init__(
        self,
        world: SimulationWorld,
        seed: int,
        rate_per_s: float,
        *,
        start: datetime | None = None,
        clock: Clock = utc_now,
        families: Collection[DeviceFamily] | None = None,
        malformed_share: Share = 0.0,
        duplicate_share: float = 0.0,
        late_share: float = 0.0,
        unknown_device_share: float = 0.0,
        plan: ScenarioPlan | None = None,
        watched_plates: Collection[str] = (),
        inject_every: int = 0,
    ) -> None:
        if rate_per_s <= 0:
            raise ValueError(f"rate_per_s must be > 0, got {rate_per_s}")
        for name, value in (
            ("duplicate_share", duplicate_share),
            ("unknown_device_share", unknown_device_share),
        ):
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {value}")
        self.families = frozenset(families if families is not None else DeviceFamily)
        self.plan = plan or ScenarioPlan()
        self.start = start or clock()  # the virtual clock then runs on its own: start + i / rate
        self._start_ts = self.start.timestamp()
        self._rate = rate_per_s
        self._rng = rng = random.Random(f"warmcity-city-simulator:{seed}")
        self._delays = DeviceDelays(rng, late_share)
        self._malformed = _shares("malformed_share", malformed_share)
        self._duplicate, self._unknown = duplicate_share, unknown_device_share
        watched = WatchedPlates(world, watched_plates, inject_every, self._delays, rng, self.families)
        reserved = replace(self.plan.reserved, plates=self.plan.reserved.plates | watched.plates)
        background = build_background(world, rng, self._delays, reserved, self.families)
        self.streams = background.streams
        self._heartbeats = HeartbeatSchedule(
            rng, self._delays, background.cameras, self._start_ts, rate_per_s
        )
        self.mix = MixTable(self.streams, self._heartbeats.rate_per_s, rate_per_s)
        if not self.streams and not self._heartbeats.cameras and not self.plan.messages:
            raise ValueError("nothing to simulate: no devices of the selected families")
        self._watched = watched
        self._cameras = len(background.cameras)
        self._known = frozenset(d.device_id for d in world.devices)
        self._queue: list[tuple[float, int, SimulatedMessage | GeneratedEvent]] = []
        self._sequence = 0
        for scheduled in self.plan.messages:
            self._defer(scheduled.send_ts, scheduled.message)
        self._pending = {g: set(g.evidence_event_ids) for g in self.plan.ground_truth}
        self._produced = 0
        self.now_ts = self._start_ts

    @property
    def produced(self) -> int:
        return self._produced

    def __iter__(self) -> Iterator[SimulatedMessage]:
        while True:
            yield self.next_message()

    def take(self, count: int) -> list[SimulatedMessage]:
        return [self.next_message() for _ in range(count)]

    def next_message(self) -> SimulatedMessage:
        slot_ts = self.now_ts = self._start_ts + self._produced / self._rate
        self._produced += 1
        if self._queue and self._queue[0][0] <= slot_ts:
            item = heapq.heappop(self._queue)[2]
            if isinstance(item, SimulatedMessage):
                if item.scenario is not None and item.event_id is not None:
                    for waiting in self._pending.values():
                        waiting.discard(item.event_id)
                return item
            return self._emit(item, slot_ts, essential=True)  # a follow-up
        heartbeat = self._heartbeats.due(slot_ts)
        if heartbeat is not None:
            return self._emit(heartbeat, slot_ts, essential=True)
        injected = self._watched.due(self._produced, slot_ts)
        if injected is not None:
            return injected
        return self._emit(self._background(slot_ts), slot_ts, essential=False)

    def ground_truth(self) -> list[GroundTruth]:
        """Ground truth whose evidence has all been sent (and, for absence rules, whose time has come)."""
        done = [g for g, waiting in self._pending.items() if not waiting]
        done = [g for g in done if g.expected_after is None or g.expected_after.timestamp() <= self.now_ts]
        return [*self._watched.ground_truth, *done]

    def scenario_status(self) -> tuple[list[str], dict[str, float]]:
        """Scenarios whose ground truth is complete, and the others with the run length (s) they need."""
        done = set(map(id, self.ground_truth()))
        complete, incomplete = [], {}
        for injection in self.plan.injections:
            if all(id(g) in done for g in injection.ground_truth):
                complete.append(injection.scenario)
            else:
                incomplete[injection.scenario] = (
                    self.plan.complete_ts(injection.scenario) or 0.0
                ) - self._start_ts
        return complete, incomplete

    def natural_rate_per_s(self, when: datetime | None = None) -> float:
        """Events/s the selected devices send by themselves at ``when``'s local hour (default: the start):
        the rate at which each device sends at its own realistic pace."""
        hour = local_hour((when or self.start).timestamp())
        return self._cameras / HEARTBEAT_PERIOD_S + sum(s.rate_at(hour) for s in self.streams)

    def _background(self, slot_ts: float) -> GeneratedEvent:
        streams, cumulative = self.mix.table(local_hour(slot_ts))
        if streams:
            chosen = streams[bisect_right(cumulative, self._rng.random() * cumulative[-1])]
            event = chosen.make(slot_ts)
            if event is not None:
                return event
        for stream in self.streams:  # the chosen one cannot send now (a closed depot): the first that can
            event = stream.make(slot_ts)
            if event is not None:
                return event
        raise RuntimeError("none of the selected families' devices can send at this hour")

    def _emit(self, event: GeneratedEvent, slot_ts: float, essential: bool) -> SimulatedMessage:
        """The message of ``event``, maybe broken, from an unknown device, or retried later.

        ``essential`` events (heartbeats; a restore after a video loss, a door closing) are what rules
        count on to see that nothing is wrong: never from an unknown device, and when one is broken the
        good one follows a second later, so that a fault share never fakes a silence."""
        rng = self._rng
        family, schema, document = event.family, event.schema, event.document
        if event.follow_up is not None:  # sent after the same delay as its cause (a late one: right away)
            delay = 1.0 if event.late else slot_ts - event.event_ts
            self._defer(max(slot_ts, event.follow_up.event_ts + delay), event.follow_up)
        device_id, kind = event.device_id, MessageKind.EVENT
        if not essential and self._unknown and rng.random() < self._unknown:
            device_id = self._unknown_device_id(device_id)
            document["device_id"], kind = device_id, MessageKind.UNKNOWN_DEVICE
        key = device_id.encode()
        event_id, event_time, late = str(document["event_id"]), document["event_time"], event.late
        value = orjson.dumps(document, option=_DUMP)
        share = self._malformed[family]
        if share and rng.random() < share:
            if essential:
                good = SimulatedMessage(key, value, kind, None, family, schema, event_id, event_time, late)
                self._defer(slot_ts + 1.0, good)
            broken_kind, broken = malform_event(rng, document, _FAULTS[schema])
            return SimulatedMessage(
                key, broken, MessageKind.MALFORMED, broken_kind, family, schema, event_id, event_time, late
            )
        if self._duplicate and kind is MessageKind.EVENT and rng.random() < self._duplicate:
            retry = SimulatedMessage(
                key, value, MessageKind.DUPLICATE, None, family, schema, event_id, event_time, late
            )
            self._defer(slot_ts + rng.uniform(*RETRY_AFTER_S), retry)
        return SimulatedMessage(key, value, kind, None, family, schema, event_id, event_time, late)

    def _defer(self, send_ts: float, item: SimulatedMessage | GeneratedEvent) -> None:
        self._sequence += 1
        heapq.heappush(self._queue, (send_ts, self._sequence, item))

    def _unknown_device_id(self, device_id: str) -> str:
        # 'ZZ' is no district code; the loop guards registries that use it anyway.
        head = device_id.split("-", 1)[0]
        while True:
            candidate = f"{head}-ZZ-{self._rng.randrange(10_000):04d}"
            if candidate not in self._known:
                return candidate
