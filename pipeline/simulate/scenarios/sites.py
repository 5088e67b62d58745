"""Site scenarios: a real press of a school's one-key alarm, and repeated attempts at a community gate.

``community-denials`` sends six denied card attempts at one person gate within three minutes (the rule
wants five within five minutes), then a guard lets the person in; the gate's background traffic is held
back for the run so nothing else of it blurs the count.
"""

from __future__ import annotations

from pipeline.contracts.alert import Severity
from pipeline.contracts.community import AccessMethod
from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.contracts.school import AccessDirection
from pipeline.simulate.background import Reservations
from pipeline.simulate.communities import person_access_document
from pipeline.simulate.identity import card_number
from pipeline.simulate.scenarios.base import GroundTruth, Injection, ScenarioContext, ScenarioError, span
from pipeline.simulate.schools import alarm_document
from pipeline.simulate.world import has_subtype

DENIALS = 6
DENIAL_GAP_S = 35.0
TRIGGER_AT = 5  # the fifth denial within five minutes raises the alert


def _typed(ctx: ScenarioContext, family: DeviceFamily, *words: str) -> list[DeviceRecord]:
    devices = ctx.devices(family)
    return [d for d in devices if has_subtype(d, *words)] or [d for d in devices if not d.subtype]


def school_emergency(ctx: ScenarioContext, begin_ts: float) -> Injection:
    name = "school-emergency"
    buttons = _typed(ctx, DeviceFamily.SCHOOL, "alarm", "button")
    if not buttons:
        raise ScenarioError("the registry has no school alarm button")
    button = ctx.choose(buttons, "school alarm button")
    document = ctx.document(button.device_id, begin_ts, "emergency_alarm")
    alarm_document(document, "BTN-1", test=False)
    injection = Injection(name, reserved=Reservations(device_ids=frozenset({button.device_id})))
    injection.messages.append(ctx.send(name, DeviceFamily.SCHOOL, document, button))
    event_id = str(document["event_id"])
    injection.ground_truth.append(
        GroundTruth.of_event(
            scenario=name,
            rule="school.emergency",
            subject=button.site_id or button.device_id,
            subject_kind="site_id" if button.site_id else "device_id",
            device_id=button.device_id,
            event_id=event_id,
            event_ts=begin_ts,
            severity=Severity.CRITICAL,
            site_id=button.site_id,
            note="a non-test press of the one-key alarm",
        )
    )
    return injection


def community_denials(ctx: ScenarioContext, begin_ts: float) -> Injection:
    name = "community-denials"
    gates = _typed(ctx, DeviceFamily.COMMUNITY, "person")
    if not gates:
        raise ScenarioError("the registry has no community person gate")
    gate = ctx.choose(gates, "community person gate")
    injection = Injection(name, reserved=Reservations(device_ids=frozenset({gate.device_id})))
    card = card_number(ctx.rng.getrandbits(40))  # a card this community never issued
    denied = []
    for attempt in range(DENIALS + 1):
        event_ts = begin_ts + attempt * DENIAL_GAP_S
        document = ctx.document(gate.device_id, event_ts, "person_access")
        if attempt < DENIALS:
            person_access_document(
                document, "main", AccessDirection.IN, AccessMethod.CARD, card, "card_not_registered"
            )
        else:  # the guard opens by PIN in the end
            person_access_document(document, "main", AccessDirection.IN, AccessMethod.PIN, None, None)
        scheduled = ctx.send(name, DeviceFamily.COMMUNITY, document, gate)
        injection.messages.append(scheduled)
        if attempt < DENIALS:
            denied.append(scheduled)
    first, last = span(denied)
    ids = tuple(str(m.message.event_id) for m in denied)
    injection.ground_truth.append(
        GroundTruth(
            scenario=name,
            rule="access.repeated_denials",
            subject=gate.device_id,
            subject_kind="device_id",
            device_ids=(gate.device_id,),
            evidence_event_ids=ids,
            trigger_event_id=ids[TRIGGER_AT - 1],
            first_event_time=first,
            last_event_time=last,
            severity=Severity.MEDIUM,
            site_id=gate.site_id,
            note=f"{DENIALS} denials {DENIAL_GAP_S:g} s apart; the {TRIGGER_AT}th triggers; one alert",
        )
    )
    return injection
