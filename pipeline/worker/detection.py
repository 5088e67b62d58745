"""How the worker runs the detection rules: routing inputs to rule state, applying rules, and ticking.

No Faust here either: the agents in ``app.py`` move messages; this module decides what goes where.
- ``route``: for one input (an enriched event, or a detection for rules that consume detections), the
  detections of stateless rules at once, and for stateful rules the ``RuleInput`` messages to send to the
  detect topic, on the partition of their ``<rule>|<rule key>`` (``detect_partition``) so the worker
  owning that partition owns the key's state; the inputs of one partition travel as one JSON array. A
  rule may say beforehand that it would do nothing with an input (``wants``), which saves the message.
- ``apply``: one ``RuleInput`` against its key's stored state; returns the new stored state and detections.
- ticks: a tick input lets time act on one stored state (a heartbeat that never came), by stream time.
- ``due_of``: when time will next act on a stored state, which ``due_times.DueTimes`` remembers per key.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, TypeAdapter

from pipeline.alerting.book import alert_key
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.rules.base import Detection, DetectionRule, EventRule, dump_state, load_state
from pipeline.rules.references import References


class RuleInput(BaseModel):
    """A message of the detect topic: one input for one rule and key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    key: str
    enriched: EnrichedEvent | None = None
    detection: Detection | None = None
    tick: bool = False  # let time act on the key's state (sent by the worker's timer for due keys)

    @property
    def table_key(self) -> str:
        return table_key(self.rule, self.key)


def table_key(rule: str, key: str) -> str:
    return f"{rule}|{key}"


RULE_INPUTS: TypeAdapter[list[RuleInput]] = TypeAdapter(list[RuleInput])


def rule_input_json(rule_input: RuleInput, enriched_json: bytes | None = None) -> bytes:
    """``rule_input`` as the detect topic carries it. ``enriched_json``: its enriched event already
    serialised (``model_dump_json(by_alias=True)``, as the intake has it for the enriched topic), which
    is put in as it is instead of serialising the event a second time."""
    if enriched_json is None or rule_input.enriched is None:
        return rule_input.model_dump_json(by_alias=True).encode()
    return b"".join(
        (
            b'{"rule":',
            orjson.dumps(rule_input.rule),
            b',"key":',
            orjson.dumps(rule_input.key),
            b',"enriched":',
            enriched_json,
            b',"detection":null,"tick":',
            b"true" if rule_input.tick else b"false",
            b"}",
        )
    )


def rule_inputs(value: bytes) -> list[RuleInput]:
    """The rule inputs of a detect-topic message: a JSON array (or, from older workers, one object)."""
    if value[:1] == b"[":
        return RULE_INPUTS.validate_json(value)
    return [RuleInput.model_validate_json(value)]


def detect_partition(table_key_: str, partitions: int) -> int:
    """The detect-topic partition of a rule key: where its state lives (``rule_state``'s changelog
    partition is the partition of the message that changed it). Every worker must compute the same,
    so it is a fixed hash (CRC-32), not Python's salted ``hash``. Inputs for one partition travel
    together in one message."""
    return zlib.crc32(table_key_.encode()) % partitions


@dataclass
class Routed:
    """What one input leads to right away: detections to book, rule inputs to repartition."""

    detections: list[Detection] = field(default_factory=list)
    inputs: list[RuleInput] = field(default_factory=list)


Source = tuple[str, int]  # a raw topic and partition


@dataclass
class _Heard:
    latest: datetime | None  # the newest event time read from the partition; None: assigned, none read yet
    heard: float  # monotonic time of the last message (or of the assignment)
    behind: int | None = None  # messages known to wait after the last one read (None: not known)


@dataclass
class StreamClock:
    """What 'now' means for time-driven rules: a low watermark of event time over the raw partitions.

    Each raw partition's latest event time is tracked; 'now' is the earliest of them. Taking the earliest
    keeps one partition that runs ahead from declaring the others' devices silent, and judging by event
    time lets replayed or compressed history be judged by its own clock.

    A partition stops holding time back only when it is *idle*: read to its end (nothing known to wait
    after the last message read) and silent for ``idle_s`` of wall-clock time. A partition with a backlog
    holds time back however long the worker takes to reach it: under load, some partitions are read
    later than others, and by then the rest of the stream may be minutes of event time ahead. A partition
    assigned but not yet read holds time back (nothing is due) for ``idle_s``: it may hold older events.
    When every partition is idle, 'now' is the latest event time read anywhere."""

    idle_s: float = 10.0
    _sources: dict[Source, _Heard] = field(default_factory=dict)

    def saw(self, source: Source, moment: datetime) -> None:
        previous = self._sources.get(source)
        latest = moment if previous is None or previous.latest is None else max(previous.latest, moment)
        behind = None if previous is None else previous.behind
        self._sources[source] = _Heard(latest, time.monotonic(), behind)

    def backlog(self, source: Source, waiting: int | None) -> None:
        """How many messages wait in ``source`` after the last one read (None: not known)."""
        heard = self._sources.get(source)
        if heard is not None:
            heard.behind = waiting

    def assigned(self, sources: Iterable[Source]) -> None:
        for source in sources:
            self._sources.setdefault(source, _Heard(None, time.monotonic()))

    def revoked(self, sources: Iterable[Source]) -> None:
        for source in sources:
            self._sources.pop(source, None)

    @property
    def now(self) -> datetime:
        horizon = time.monotonic() - self.idle_s
        holding: list[datetime] = []
        for heard in self._sources.values():
            if heard.latest is None:
                if heard.heard >= horizon:
                    return NEVER  # assigned, not read yet: it may hold older events
            elif heard.heard >= horizon or (heard.behind is not None and heard.behind > 0):
                holding.append(heard.latest)
        if holding:
            return min(holding)
        everything = [heard.latest for heard in self._sources.values() if heard.latest is not None]
        return max(everything) if everything else NEVER


NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Applied:
    """What one rule input did to its key: the new stored state (None: delete the key), the detections,
    and, when the state was changed (``changed``), when time will next act on the new state (``due``;
    None: never). An input that changed nothing leaves the key's due time as it was."""

    stored: bytes | None
    detections: list[Detection]
    changed: bool = False
    due: datetime | None = None


class DetectionEngine:
    def __init__(
        self,
        event_rules: Mapping[str, EventRule],
        detection_rules: Mapping[str, DetectionRule],
        refs: References,
    ) -> None:
        self.event_rules = event_rules
        self.detection_rules = detection_rules
        self.refs = refs
        self.clock = StreamClock()
        self._checked: dict[str, float] = {}  # rule -> monotonic time its keys were last looked at
        self._rules_of: dict[type, tuple[Any, ...]] = {}  # event type -> the event rules that may want it

    def rules_for(self, event_type: type) -> tuple[Any, ...]:
        """The event rules that may take an event of ``event_type``: those declaring it in their
        ``event_types``, and every rule that declares none. Sixteen rules, two or three per event."""
        rules = self._rules_of.get(event_type)
        if rules is None:
            rules = tuple(
                rule
                for rule in self.event_rules.values()
                if (accepted := getattr(rule, "event_types", None)) is None
                or any(issubclass(event_type, kind) for kind in accepted)
            )
            self._rules_of[event_type] = rules
        return rules

    def route_event(self, enriched: EnrichedEvent, source: Source, routed: Routed | None = None) -> Routed:
        """``source`` is the raw topic and partition the event came from (it drives the stream clock).
        What the event leads to is added to ``routed`` (a new one when not given), which is returned."""
        self.clock.saw(source, enriched.event.event_time)
        routed = Routed() if routed is None else routed
        found = Routed()
        for rule in self.rules_for(type(enriched.event)):
            self._route(rule, enriched, found, as_event=True)
        self.route_detections(list(found.detections), found)
        routed.detections.extend(found.detections)
        routed.inputs.extend(found.inputs)
        return routed

    def route_detections(self, detections: list[Detection], routed: Routed) -> None:
        """Feed detections to the rules that consume detections (corroboration), into ``routed``."""
        for detection in detections:
            for rule in self.detection_rules.values():
                self._route(rule, detection, routed, as_event=False)

    def _route(self, rule: Any, item: Any, routed: Routed, as_event: bool) -> None:
        key = rule.key(item)
        if key is None:
            return
        wants = getattr(rule, "wants", None)
        if wants is not None and not wants(item, self.refs):
            return  # the rule says it would do nothing with this input: no message to the detect topic
        if rule.stateful:
            payload = {"enriched": item} if as_event else {"detection": item}
            routed.inputs.append(RuleInput(rule=rule.name, key=key, **payload))
        else:
            _, found = rule.apply(None, item, self.refs)
            routed.detections.extend(found)

    def apply(self, message: RuleInput, stored: bytes | None) -> tuple[bytes | None, list[Detection]]:
        """The new stored state (None: delete the key) and the detections."""
        applied = self.applied(message, stored)
        return applied.stored, applied.detections

    def applied(self, message: RuleInput, stored: bytes | None) -> Applied:
        """``apply``, with when the new state will next be due (for ``DueTimes``)."""
        if message.tick:
            ticked = self._ticked(message.table_key, stored) if stored else None
            return Applied(stored, []) if ticked is None else ticked
        rule = self._rule(message.rule)
        if rule is None:
            return Applied(stored, [])  # a rule removed since the message was routed: nothing to do
        item = message.enriched if message.enriched is not None else message.detection
        state = load_state(rule, orjson.loads(stored)) if stored else None
        new_state, detections = rule.apply(state, item, self.refs)
        return Applied(_stored(new_state), list(detections), True, self._due(rule, new_state))

    def due_of(self, table_key_: str, stored: bytes) -> datetime | None:
        """When time will next act on this stored state (None: never, or a rule without ticks). Decodes
        the state: ``DueTimes`` remembers the answer so that the timer asks once per change."""
        rule = self._rule(table_key_.partition("|")[0])
        if rule is None or rule.tick_every is None:
            return None
        return self._due(rule, load_state(rule, orjson.loads(stored)))

    def is_due(self, table_key_: str, stored: bytes) -> bool:
        """Whether time would act on this stored state now (read only: the timer asks, the agent ticks)."""
        due = self.due_of(table_key_, stored)
        return due is not None and due <= self.clock.now

    def _ticked(self, table_key_: str, stored: bytes) -> Applied | None:
        """Let time act on one stored state; None when nothing is due (the state stays as it is)."""
        if not self.is_due(table_key_, stored):
            return None
        rule_name, _, key = table_key_.partition("|")
        rule: Any = self._rule(rule_name)
        state = load_state(rule, orjson.loads(stored))
        new_state, detections = rule.tick(state, key, self.clock.now, self.refs)
        return Applied(_stored(new_state), list(detections), True, self._due(rule, new_state))

    def _rule(self, name: str) -> Any:
        return self.event_rules.get(name) or self.detection_rules.get(name)

    @staticmethod
    def _due(rule: Any, state: BaseModel | None) -> datetime | None:
        if state is None or rule.tick_every is None:
            return None
        due: datetime | None = rule.due(state)
        return due

    def rules_to_check(self) -> frozenset[str]:
        """The rules whose keys the timer should look at now: each rule every ``tick_every`` of
        wall-clock time, not at the pace of the most frequent one (``plate.cloned`` keeps a state per
        plate of the city, and needs looking at every ten minutes only to forget old reads)."""
        moment = time.monotonic()
        rules: list[Any] = [*self.event_rules.values(), *self.detection_rules.values()]
        due = set()
        for rule in rules:
            if rule.tick_every is None:
                continue
            last = self._checked.get(rule.name)
            # A little early rather than a whole timer interval late.
            if last is None or moment - last >= rule.tick_every.total_seconds() * 0.9:
                self._checked[rule.name] = moment
                due.add(rule.name)
        return frozenset(due)

    @property
    def tick_interval_s(self) -> float | None:
        """How often the worker should tick: the most frequent of the rules' wishes."""
        rules: list[Any] = [*self.event_rules.values(), *self.detection_rules.values()]
        every = [r.tick_every for r in rules if r.tick_every is not None]
        return min(every).total_seconds() if every else None


def _stored(state: BaseModel | None) -> bytes | None:
    """The state as kept in the table. A copy of what orjson returns: its buffer keeps about 4 KiB
    allocated whatever the length (measured with tracemalloc), and the table holds one per key."""
    dumped = dump_state(state)
    return None if dumped is None else bytes(memoryview(orjson.dumps(dumped)))


def book_key(detection: Detection) -> bytes:
    """The partition key of a detection on the detections topic: its alert key."""
    return alert_key(detection.rule, detection.subject).encode()
