"""The simulated city, every scenario included, through the pipeline's own intake (validate, pseudonymise,
enrich): every valid message becomes an enriched event, every broken or unregistered one a dead letter,
and no raw person identifier gets through.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from functools import cache

from pipeline.city import build_city
from pipeline.contracts.families import FAMILIES
from pipeline.simulate import CitySimulator, MessageKind, SimulatedMessage, SimulationWorld
from pipeline.simulate.scenarios import ScenarioPlan, plan_scenarios, resolve
from pipeline.simulate.scenarios.publication import RAW_ID_NUMBER
from pipeline.stages.intake import BatchOutcome, IntakeContext, RawMessage, process_batch
from pipeline.stages.privacy import Pseudonymiser

WORLD = SimulationWorld.from_city(build_city("small", 7))
START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
PSEUDONYMISER = Pseudonymiser(b"intake-test-key-0123456789abcdef")
RATE = 20.0


@cache
def through_intake() -> tuple[ScenarioPlan, CitySimulator, list[SimulatedMessage], BatchOutcome]:
    plan = plan_scenarios(WORLD, resolve(["all"]), 7, START.timestamp(), PSEUDONYMISER)
    simulator = CitySimulator(
        WORLD, 7, RATE, start=START, plan=plan, malformed_share=0.02, duplicate_share=0.01,
        late_share=0.01, unknown_device_share=0.01,
    )  # fmt: skip
    end = plan.end_ts()
    assert end is not None
    messages = simulator.take(int((end - START.timestamp() + 10) * RATE))
    context = IntakeContext(
        pseudonymiser=PSEUDONYMISER,
        devices={d.device_id: d for d in WORLD.devices},
        plate_watchlist={e.plate: e for e in plan.plate_watch},
        person_watchlist={e.subject_token: e for e in plan.person_watch},
    )
    outcome = BatchOutcome()
    for family in FAMILIES:
        raw = [
            RawMessage(f"raw.{family.value}", 0, offset, m.key, m.value)
            for offset, m in enumerate(messages)
            if m.family is family
        ]
        # Processed once the run is over: every event time is in the (recent) past, as in a live pipeline.
        part = process_batch(raw, family, context, now=datetime.fromtimestamp(end + 10, UTC))
        outcome.accepted += part.accepted
        outcome.dead_letters += part.dead_letters
    return plan, simulator, messages, outcome


def test_valid_messages_are_enriched_and_the_others_dead_lettered() -> None:
    _, _, messages, outcome = through_intake()
    kinds = Counter(m.kind for m in messages)
    assert len(outcome.dead_letters) == kinds[MessageKind.MALFORMED] + kinds[MessageKind.UNKNOWN_DEVICE]
    assert (
        len(outcome.enriched)
        == kinds[MessageKind.EVENT] + kinds[MessageKind.INJECTED] + kinds[MessageKind.DUPLICATE]
    )
    assert {e.family for e in outcome.enriched} == set(FAMILIES)


def test_no_raw_person_identifier_survives_intake() -> None:
    _, _, _, outcome = through_intake()
    for enriched in outcome.enriched:
        assert not RAW_ID_NUMBER.search(enriched.event.model_dump_json())
