"""The detection agents: rule state per rule key, and the alert book per rule and subject.

- ``detect``: reads the detect topic (each message a JSON array of rule inputs of one partition, see
  ``detection.detect_partition``), applies each rule to its key's state kept in the ``rule_state``
  table, sends detections on to the detections topic.
- ``alert-book``: reads detections and operators' actions (both keyed by alert key, co-partitioned),
  keeps one ``AlertBookEntry`` per key in the ``alert_book`` table and publishes alert snapshots.
- two timers: rules' ticks (heartbeats that never came, windows that closed) and alert escalation. The
  rules' timer reads each key's due time from ``due_times.DueTimes``, which the detect agent keeps.

Faust writes a table change to the changelog partition of the *current event*; in a ``take_weighted``
batch that would be the batch's last event, so each event is made current before its key is touched
(``as_current``). Tables change only inside agents: the timers only find what is due and send a tick
message on the key's own topic, so that the change happens in the agent that owns the key.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from faust.streams import _current_event

from pipeline.alerting.book import AlertBookEntry, on_action, on_detection, on_tick
from pipeline.contracts.alert import Alert, AlertAction
from pipeline.metrics import ALERTS_RAISED
from pipeline.rules.base import Detection
from pipeline.worker.alert_metrics import OpenAlerts, observe_raised, observe_stage
from pipeline.worker.batching import take_weighted
from pipeline.worker.detection import Routed, RuleInput, rule_inputs
from pipeline.worker.due_times import DueTimes

if TYPE_CHECKING:
    from pipeline.worker.app import PipelineWorker

log = logging.getLogger(__name__)

TICK_FLOOR_S = 1.0
ESCALATION_CHECK_S = 5.0
BOOK_TICK = b'{"tick":true}'  # on the detections topic: 'check this key for escalation'


def as_current(event: Any) -> None:
    """Make ``event`` Faust's current event, so a table change goes to that event's changelog partition.

    Faust offers no public way to do this inside a batch; its streams set this very context variable for
    every event they yield one at a time."""
    _current_event.set(weakref.ref(event))


class DetectionAgents:
    def __init__(self, worker: PipelineWorker) -> None:
        self.worker = worker
        options: dict[str, Any] = {
            "partitions": worker.settings.kafka.partitions,
            "key_type": bytes,  # bytes in and out: Faust's codecs pass them through unchanged
            "value_type": bytes,
        }
        self.rule_state = worker.app.Table("rule_state", default=None, **options)
        self.alert_book = worker.app.Table("alert_book", default=None, **options)
        self.open_alerts = OpenAlerts()  # warmcity_alerts_open, from the book's changes
        self.due_times = DueTimes()  # per rule key, when time acts on its state next (see due_times)
        for signal in (
            worker.app.on_partitions_revoked,
            worker.app.on_partitions_assigned,
            worker.app.on_rebalance_complete,
        ):
            signal.connect(self._forget_due_times)
        topics = worker.topics
        worker.app.agent(worker.detect, name="detect")(self.detect)
        book_inputs = worker.topic(topics.detections, topics.alert_actions)
        worker.app.agent(book_inputs, name="alert-book")(self.book)
        interval = max(TICK_FLOOR_S, worker.engine.tick_interval_s or 30.0)
        worker.app.timer(interval)(self.tick_rules)
        worker.app.timer(ESCALATION_CHECK_S)(self.escalate)

    async def detect(self, stream: Any) -> None:
        from pipeline.worker.app import delivered, message_count, withhold_acks

        worker, batch = self.worker, self.worker.processing
        await worker.reference_ready()
        async for events in take_weighted(
            stream, batch.max_rows, batch.max_wait_s, message_count, worker.finished.record
        ):
            try:
                started, routed = time.perf_counter(), Routed()
                for event in events:
                    as_current(event)  # every input of a message belongs to the message's partition
                    for message in rule_inputs(event.message.value):
                        key = message.table_key.encode()
                        applied = worker.engine.applied(message, self.rule_state.get(key))
                        _store(self.rule_state, key, applied.stored)
                        if applied.changed:
                            self.due_times.note(key, applied.due, deleted=applied.stored is None)
                        routed.detections.extend(applied.detections)
                        worker.engine.route_detections(applied.detections, routed)
                await delivered(await worker.send_routed(routed.inputs, routed.detections))
                observe_stage("detect", len(events), len(routed.detections), started)
            except BaseException:
                withhold_acks(events)
                raise

    async def book(self, stream: Any) -> None:
        from pipeline.worker.app import delivered, withhold_acks

        batch, actions_topic = self.worker.processing, self.worker.topics.alert_actions
        async for events in take_weighted(
            stream, batch.max_rows, batch.max_wait_s, lambda event: 1, self.worker.finished.record
        ):
            try:
                sent: list[Awaitable[Any]] = []
                now, started = datetime.now(UTC), time.perf_counter()
                for event in events:
                    as_current(event)
                    key = event.message.key
                    entry = _entry(self.alert_book.get(key))
                    if event.message.value == BOOK_TICK:
                        entry, alert = on_tick(entry, now, self.worker.book_policy)
                    elif event.message.topic == actions_topic:
                        action = AlertAction.model_validate_json(event.message.value)
                        entry, alert, refused = on_action(entry, action, now)
                        if refused:
                            log.warning("alert action %s refused: %s", action.action_id, refused)
                    else:
                        detection = Detection.model_validate_json(event.message.value)
                        entry, alert = on_detection(entry, detection, now, self.worker.book_policy)
                    self.alert_book[key] = entry.model_dump_json().encode()
                    self.open_alerts.update(key, entry.current)
                    if alert is not None:
                        await self._publish(alert, sent)
                await delivered(sent)
                self.open_alerts.publish()
                observe_stage("alert_book", len(events), len(sent), started)
            except BaseException:
                withhold_acks(events)
                raise

    async def tick_rules(self) -> None:
        """Send a tick for every key of this worker's rule state that time would act on."""
        from pipeline.worker.app import delivered

        engine = self.worker.engine
        rules = {name.encode() for name in engine.rules_to_check()}
        if not rules:
            return
        # While partitions move, the table may still be recovering states another worker wrote: decode
        # them all, as if nothing were remembered, and remember nothing (cleared again when it ends).
        remember = not getattr(self.worker.app, "rebalancing", False)
        now, due = engine.clock.now, []
        for key, stored in list(self.rule_state.items()):
            if stored is None or key.partition(b"|")[0] not in rules:
                continue
            decode = partial(engine.due_of, key.decode(), stored)
            when = self.due_times.due(key, decode) if remember else decode()
            if when is not None and when <= now:
                rule, _, rule_key = key.decode().partition("|")
                due.append(RuleInput(rule=rule, key=rule_key, tick=True))
        if due:
            await delivered(await self.worker.send_routed(due, []))

    def _forget_due_times(self, sender: Any, /, *args: Any, **kwargs: Any) -> None:
        self.due_times.clear()  # partitions moved: the table may hold states written elsewhere

    async def escalate(self) -> None:
        """Send an escalation check for every alert of this worker that would escalate now."""
        from pipeline.worker.app import delivered

        now, sent, due = datetime.now(UTC), [], []
        book = [(key, _entry(stored)) for key, stored in list(self.alert_book.items())]
        self.open_alerts.replace((key, entry.current) for key, entry in book)  # before anything awaits
        self.open_alerts.publish()
        for key, entry in book:
            if on_tick(entry, now, self.worker.book_policy)[1] is not None:
                due.append(key)
        for key in due:
            sent.append(await self.worker.detections.send(key=key, value=BOOK_TICK))
        await delivered(sent)

    async def _publish(self, alert: Alert, sent: list[Awaitable[Any]]) -> None:
        key = alert.alert_id.split("-")[1].encode()  # the alert key: all versions of an alert in order
        sent.append(await self.worker.alerts.send(key=key, value=alert.model_dump_json().encode()))
        if alert.version == 1:
            ALERTS_RAISED.labels(alert.rule, alert.severity.value).inc()
            observe_raised(alert)


def wire_detection(worker: PipelineWorker) -> DetectionAgents:
    return DetectionAgents(worker)


def _entry(stored: bytes | None) -> AlertBookEntry:
    return AlertBookEntry.model_validate_json(stored) if stored else AlertBookEntry()


def _store(table: Any, key: bytes, stored: bytes | None) -> None:
    if stored is None:
        if key in table:
            del table[key]
    else:
        table[key] = stored


__all__: Sequence[str] = ("DetectionAgents", "wire_detection")
