"""Our per-event work as one object, for the phases that do it without the worker (a' and b).

``StageWork.process`` takes raw messages of one family and does what the worker's agents do with them:
validate, pseudonymise, check the event time, enrich from the registry and match the watch lists
(``stages.intake.process_batch``); route each enriched event to the rules (``DetectionEngine``); apply
stateful rules to their keys' state; book detections into alerts (``alerting.book``); and, when asked,
map everything to ClickHouse rows (``stages.rows``). What it returns is what must be sent and stored.

Where it differs from the worker, on purpose: rule inputs and detections are not repartitioned through
the detect and detections topics (one process owns every key here, so state lives in plain dicts), and
time-driven ticks do not run. It holds no Kafka, ClickHouse or Faust object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pipeline.alerting.book import AlertBookEntry, BookPolicy, alert_key, on_detection
from pipeline.contracts import DeviceFamily
from pipeline.contracts.alert import Alert
from pipeline.rules.base import Detection
from pipeline.rules.catalogue import detection_rules, event_rules
from pipeline.rules.references import References
from pipeline.settings import Settings
from pipeline.stages.intake import IntakeContext, RawMessage, process_batch
from pipeline.stages.privacy import Pseudonymiser
from pipeline.stages.rows import alert_row, device_event_row, plate_read_row
from pipeline.stages.validate import EventTimeLimits
from pipeline.topics import Topics
from pipeline.worker.detection import DetectionEngine, Routed, RuleInput

Row = tuple[Any, ...]


@dataclass
class WorkOutput:
    """What one call produced: Kafka records (topic, key, value) and ClickHouse rows per table."""

    records: list[tuple[str, bytes | None, bytes]] = field(default_factory=list)
    rows: dict[str, list[Row]] = field(default_factory=dict)
    enriched: int = 0
    dead_letters: int = 0
    alerts: int = 0

    def add_row(self, table: str, row: Row) -> None:
        self.rows.setdefault(table, []).append(row)


class StageWork:
    """The stages, the rule engine, the rules' state and the alert book of one process."""

    def __init__(
        self, context: IntakeContext, engine: DetectionEngine, policy: BookPolicy, outputs: Topics
    ) -> None:
        self.context = context
        self.engine = engine
        self.policy = policy
        self.outputs = outputs
        self.rule_state: dict[str, bytes] = {}
        self.alert_book: dict[str, AlertBookEntry] = {}

    def process(
        self, messages: Sequence[RawMessage], family: DeviceFamily, now: datetime, rows: bool = True
    ) -> WorkOutput:
        out = WorkOutput()
        outcome = process_batch(messages, family, self.context, now)
        enriched_topic = self.outputs.enriched(family)
        table = "plate_reads" if family is DeviceFamily.VEHICLE_CHECKPOINT else "device_events"
        to_row = plate_read_row if family is DeviceFamily.VEHICLE_CHECKPOINT else device_event_row
        for message, item in outcome.accepted:
            value = item.model_dump_json(by_alias=True).encode()
            out.records.append((enriched_topic, item.event.device_id.encode(), value))
            out.enriched += 1
            if rows:
                out.add_row(table, to_row(item))
            routed = self.engine.route_event(item, (message.topic, message.partition))
            for alert in self._book(self._detections(routed), now):
                self._emit(alert, out, rows)
        for letter in outcome.dead_letters:
            key = letter.key.encode() if letter.key is not None else None
            out.records.append((self.outputs.dead_letter, key, letter.model_dump_json().encode()))
            out.dead_letters += 1
        return out

    def _detections(self, routed: Routed) -> list[Detection]:
        """Stateless detections at once; stateful rules applied to their keys' state, until no rule that
        consumes detections has anything left to do (the detect agent's loop, without the topic)."""
        detections = list(routed.detections)
        pending: list[RuleInput] = list(routed.inputs)
        while pending:
            rule_input = pending.pop()
            key = rule_input.table_key
            stored, found = self.engine.apply(rule_input, self.rule_state.get(key))
            if stored is None:
                self.rule_state.pop(key, None)
            else:
                self.rule_state[key] = stored
            more = Routed()
            self.engine.route_detections(found, more)
            detections += found + more.detections
            pending += more.inputs
        return detections

    def _book(self, detections: Sequence[Detection], now: datetime) -> list[Alert]:
        alerts = []
        for detection in detections:
            key = alert_key(detection.rule, detection.subject)
            entry, alert = on_detection(
                self.alert_book.get(key, AlertBookEntry()), detection, now, self.policy
            )
            self.alert_book[key] = entry
            if alert is not None:
                alerts.append(alert)
        return alerts

    def _emit(self, alert: Alert, out: WorkOutput, rows: bool) -> None:
        key = alert.alert_id.split("-")[1].encode()  # the alert key, as the worker keys the alerts topic
        out.records.append((self.outputs.alerts, key, alert.model_dump_json().encode()))
        out.alerts += 1
        if rows:
            out.add_row("alerts", alert_row(alert))


def build_stage_work(settings: Settings, refs: References, outputs: Topics) -> StageWork:
    """The work as the worker configures it (``PipelineWorker.__init__``), on ``refs``."""
    pipeline = settings.pipeline
    context = IntakeContext(
        pseudonymiser=Pseudonymiser(settings.privacy.key_bytes()),
        devices=refs.devices,
        plate_watchlist=refs.plate_watchlist,
        person_watchlist=refs.person_watchlist,
        grid_cells=refs.grid_cells,
        event_time_limits=EventTimeLimits(
            max_ahead=timedelta(seconds=pipeline.max_event_ahead_s),
            max_age=timedelta(seconds=pipeline.max_event_age_s),
        ),
    )
    rule_settings = settings.rule_settings()
    engine = DetectionEngine(event_rules(rule_settings), detection_rules(rule_settings), refs)
    policy = BookPolicy(
        suppression_window=timedelta(seconds=settings.alerting.suppression_window_s),
        escalate_after=timedelta(seconds=settings.alerting.escalate_after_s),
    )
    return StageWork(context, engine, policy, outputs)
