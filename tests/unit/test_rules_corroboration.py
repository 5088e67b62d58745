"""corroboration.incident: watch-list hits on one subject from different sensor families at one site."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipeline.contracts.alert import Severity
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.rules.base import Detection
from pipeline.rules.corroboration import MAX_HITS, CorroborationRule
from pipeline.rules.references import References
from pipeline.rules.watchlist_face import FaceWatchRule
from pipeline.rules.watchlist_person import PersonWatchRule
from tests.unit.rule_factories import (
    LAT,
    LON,
    Table,
    at,
    face_capture,
    id_check,
    north_of,
    person_access,
    person_entry,
    refs,
    token,
)

WANTED = token(1)
WATCH = refs(person_watchlist=[person_entry(WANTED, priority=2)])


def hit(event: EnrichedEvent, rule: FaceWatchRule | PersonWatchRule) -> Detection:
    _, found = rule.apply(None, event, WATCH)
    (detection,) = found
    return detection


def gate_hit(seconds: float = 0.0, similarity: float = 0.91) -> Detection:
    return hit(id_check(WANTED, similarity, when=at(seconds)), PersonWatchRule())


def face_hit(seconds: float = 15.0, site_id: str | None = "RS-KB-01", lat: float = LAT) -> Detection:
    return hit(face_capture(WANTED, 0.94, at(seconds), site_id=site_id, lat=lat, lon=LON), FaceWatchRule())


def incidents(*hits: Detection) -> list[Detection]:
    return Table(CorroborationRule(), References()).feed(*hits)


def test_id_at_the_gate_and_face_at_the_same_site_make_one_incident() -> None:
    gate, face = gate_hit(), face_hit()
    (incident,) = incidents(gate, face)
    assert (incident.rule, incident.subject, incident.family) == ("corroboration.incident", WANTED, None)
    assert incident.severity is Severity.CRITICAL  # high hits, one step up
    assert incident.confidence == pytest.approx(1 - (1 - 0.91) * (1 - 0.94))
    assert set(incident.evidence_event_ids) == {*gate.evidence_event_ids, *face.evidence_event_ids}
    assert incident.first_seen == at(0) and incident.last_seen == at(15)
    assert "face_recognition + id_gate" in incident.summary


@pytest.mark.parametrize(
    ("seconds", "site_id", "metres", "fires"),
    [
        (600.0, "RS-KB-01", 0.0, True),  # ten minutes: still within the window
        (601.0, "RS-KB-01", 0.0, False),
        (15.0, "AP-YJ-01", 5_000.0, False),  # another site, 5 km away
        (15.0, None, 250.0, True),  # no site, but 250 m away
        (15.0, None, 350.0, False),
    ],
)
def test_time_and_place_must_agree(seconds: float, site_id: str | None, metres: float, fires: bool) -> None:
    face = face_hit(seconds, site_id=site_id, lat=north_of(LAT, metres))
    assert bool(incidents(gate_hit(), face)) is fires


def test_one_family_twice_is_not_corroboration() -> None:
    assert incidents(face_hit(0), face_hit(30)) == []
    assert incidents(gate_hit(0), gate_hit(30)) == []


def test_a_new_family_updates_the_incident_and_repeats_join_silently() -> None:
    table = Table(CorroborationRule(), References())
    table.feed(gate_hit(0), face_hit(15))
    assert table.feed(face_hit(45), gate_hit(60)) == []
    community = hit(person_access(True, at(90), holder=WANTED), PersonWatchRule())
    community = community.model_copy(update={"site_id": "RS-KB-01"})
    (updated,) = table.feed(community)
    assert "community + face_recognition + id_gate" in updated.summary
    assert updated.confidence > table.detections[0].confidence


def test_a_later_meeting_after_the_incident_closed_is_a_new_incident() -> None:
    table = Table(CorroborationRule(), References())
    table.feed(gate_hit(0), face_hit(15))
    table.feed(gate_hit(3600), face_hit(3615))
    assert len(table.detections) == 2


def test_clears_own_detections_and_other_rules_are_not_consumed() -> None:
    rule = CorroborationRule()
    gate = gate_hit()
    assert rule.key(gate.model_copy(update={"clears": True})) is None
    assert rule.key(gate.model_copy(update={"rule": "corroboration.incident"})) is None
    assert rule.key(gate.model_copy(update={"rule": "id_gate.face_mismatch"})) is None
    assert rule.key(gate) == WANTED


def test_hits_are_bounded_and_forgotten() -> None:
    table = Table(CorroborationRule(), References())
    table.feed(*(face_hit(n) for n in range(40)))
    (state,) = table.states.values()
    assert len(state.hits) == MAX_HITS
    due = table.rule.due(state)
    assert due == state.hits[0].last_seen + timedelta(minutes=10)
    table.tick(at(39) + timedelta(minutes=10, seconds=1))
    assert table.states == {}
