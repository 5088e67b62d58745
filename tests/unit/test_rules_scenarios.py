"""Every scenario of the simulator, in its background traffic, through intake and the rules alone.

No broker, no alert book: messages (2% of them late, 1% broken, 1% repeated) in send order through
validate, pseudonymise and enrich, then every rule as the worker runs it (state per rule and key, stream
time as the clock, ticks every 10 s of it, detections fed to the corroboration rule). Each raising
detection must match a ground-truth record (same rule and subject, shared evidence: no false positive
from the background), each record must be matched by exactly one raising detection with its severity,
and every state must stay small.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import orjson

from pipeline.city import build_city
from pipeline.errors import InvalidEvent
from pipeline.rules import Detection, References, detection_rules, dump_state, event_rules
from pipeline.simulate import CitySimulator, SimulationWorld
from pipeline.simulate.scenarios import GroundTruth, plan_scenarios, resolve
from pipeline.stages.enrich import enrich_event
from pipeline.stages.privacy import Pseudonymiser
from pipeline.stages.validate import validate_event

CITY = build_city("small", 7)
WORLD = SimulationWorld.from_city(CITY)
START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Ordos: depots open, people about
PSEUDONYMISER = Pseudonymiser(b"rules-scenario-key-0123456789abcdef")
RATE = 20.0
TICK = timedelta(seconds=10)
MAX_STATE_BYTES = 8_000


@dataclass
class Run:
    truth: list[GroundTruth]
    detections: list[Detection] = field(default_factory=list)
    raised_at: list[datetime] = field(default_factory=list)  # stream time of each detection
    largest_state: dict[str, int] = field(default_factory=dict)


@cache
def run_city() -> Run:
    return simulate(7, START)


def simulate(seed: int, start: datetime, after_s: float = 30.0, rate: float = RATE) -> Run:
    """One run of every scenario from ``start`` (the test uses one; other seeds and hours by hand)."""
    plan = plan_scenarios(WORLD, resolve(["all"]), seed, start.timestamp(), PSEUDONYMISER)
    simulator = CitySimulator(
        WORLD, seed, rate, start=start, plan=plan, malformed_share=0.01, duplicate_share=0.01, late_share=0.02
    )
    end = plan.end_ts()
    assert end is not None
    messages = simulator.take(int((end - start.timestamp() + after_s) * rate))
    depots = {d.depot_id: d for d in (*CITY.depots, *plan.depots)}
    permits = {p.permit_id: p for p in (*CITY.permits, *plan.permits)}
    refs = References.from_records(
        devices=CITY.devices, sites=CITY.sites, crowd_zones=CITY.crowd_zones, depots=depots.values(),
        permits=permits.values(), plate_watchlist=plan.plate_watch, person_watchlist=plan.person_watch,
    )  # fmt: skip
    run = Run(truth=simulator.ground_truth())
    on_events, on_detections = event_rules(), detection_rules()
    rules: dict[str, Any] = {**on_events, **on_detections}
    states: dict[tuple[str, str], bytes] = {}
    clock, next_tick = start, start + TICK

    def apply(rule: Any, item: Any) -> list[Detection]:
        key = rule.key(item)
        if key is None:
            return []
        stored = states.get((rule.name, key))
        state = rule.state_model.model_validate(orjson.loads(stored)) if stored else None
        new_state, found = rule.apply(state, item, refs)
        keep(rule.name, key, new_state)
        return list(found)

    def keep(name: str, key: str, state: Any) -> None:
        if state is None:
            states.pop((name, key), None)
            return
        stored = orjson.dumps(dump_state(state))
        states[(name, key)] = stored
        run.largest_state[name] = max(run.largest_state.get(name, 0), len(stored))

    def book(found: list[Detection], now: datetime) -> None:
        for detection in found:
            run.detections.append(detection)
            run.raised_at.append(now)
            for rule in on_detections.values():
                book(apply(rule, detection), now)

    for message in messages:
        try:
            event = PSEUDONYMISER.pseudonymise(validate_event(message.value, message.family))
            enriched = enrich_event(
                event, message.family, refs.devices, refs.plate_watchlist, refs.person_watchlist
            )
        except InvalidEvent:
            continue
        clock = max(clock, enriched.event.event_time)
        for rule in on_events.values():
            book(apply(rule, enriched), clock)
        while next_tick <= clock:
            for name, key in list(states):
                rule = rules[name]
                state = rule.state_model.model_validate(orjson.loads(states[(name, key)]))
                due = rule.due(state)
                if rule.tick_every is not None and due is not None and due <= next_tick:
                    new_state, found = rule.tick(state, key, next_tick, refs)
                    keep(name, key, new_state)
                    book(list(found), next_tick)
            next_tick += TICK
    return run


def _matches(detection: Detection, truth: GroundTruth) -> bool:
    return (
        detection.rule == truth.rule
        and detection.subject == truth.subject
        and bool(set(detection.evidence_event_ids) & set(truth.evidence_event_ids))
    )


def test_every_scenario_rule_has_ground_truth_in_the_run() -> None:
    rules = {g.rule for g in run_city().truth}
    assert rules >= {s for name in resolve(["all"]) for s in name.rules}


def test_no_raising_detection_without_ground_truth() -> None:
    run = run_city()
    unexpected = [
        f"{d.rule} on {d.subject}: {d.summary}"
        for d in run.detections
        if not d.clears and not any(_matches(d, g) for g in run.truth)
    ]
    assert unexpected == []


def test_every_ground_truth_is_raised_once_with_its_severity() -> None:
    run = run_city()
    problems = []
    for truth in run.truth:
        raised = [d for d in run.detections if not d.clears and _matches(d, truth)]
        if len(raised) != 1:
            problems.append(f"{truth.scenario}/{truth.rule}: {len(raised)} raising detections")
        elif raised[0].severity is not truth.severity:
            problems.append(f"{truth.scenario}/{truth.rule}: {raised[0].severity} not {truth.severity}")
    assert problems == []


def test_absence_rules_fire_after_their_time_and_soon() -> None:
    run = run_city()
    for truth in run.truth:
        if truth.expected_after is None:
            continue
        raised = zip(run.detections, run.raised_at, strict=True)
        (when,) = [t for d, t in raised if not d.clears and _matches(d, truth)]  # a clear may share evidence
        assert truth.expected_after <= when <= truth.expected_after + 2 * TICK


def test_states_stay_small() -> None:
    sizes = run_city().largest_state
    assert max(sizes.values()) < MAX_STATE_BYTES, sizes


def test_detections_per_rule_are_few() -> None:
    per_rule: dict[str, int] = defaultdict(int)
    for detection in run_city().detections:
        per_rule[detection.rule] += 1
    truth_per_rule: dict[str, int] = defaultdict(int)
    for truth in run_city().truth:
        truth_per_rule[truth.rule] += 1
    for rule, count in per_rule.items():
        assert count <= 2 * truth_per_rule[rule] + 1, (rule, count)  # a raise, and perhaps its clear
