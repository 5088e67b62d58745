"""explosives.off_corridor and explosives.stopped_too_long on a route along 39.5 N from 110.0 E to 110.2 E."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.contracts.alert import Severity
from pipeline.rules.base import Detection, SubjectKind
from pipeline.rules.common import haversine_m
from pipeline.rules.settings import RuleSettings
from pipeline.rules.transport_corridor import OffCorridorRule
from pipeline.rules.transport_stopped import StoppedTooLongRule
from tests.unit.rule_factories import LAT, T0, Table, at, explosives_sites, north_of, permit, position, refs

ON_ROUTE = 110.05


def corridor(*permits: object) -> Table:
    return Table(OffCorridorRule(), refs(permits=permits or [permit()], sites=explosives_sites()))


@pytest.mark.parametrize(("metres", "fires"), [(0.0, False), (125.0, False), (495.0, False), (505.0, True),
                                               (5_000.0, True)])  # fmt: skip
def test_fix_beside_the_route(metres: float, fires: bool) -> None:
    found = corridor().feed(position(north_of(LAT, metres), ON_ROUTE))
    assert bool(found) is fires
    if fires:
        (detection,) = found
        assert (detection.rule, detection.subject, detection.subject_kind, detection.severity) == (
            "explosives.off_corridor",
            "蒙KW9346",
            SubjectKind.PLATE,
            Severity.CRITICAL,
        )


def test_past_the_end_of_the_route_is_measured_to_its_end() -> None:
    end_lon = 110.2 + 0.0058  # ~500 m east at 39.5 N
    assert haversine_m(LAT, 110.2, LAT, end_lon) > 495
    table = corridor()
    assert bool(table.feed(position(LAT, end_lon))) is (haversine_m(LAT, 110.2, LAT, end_lon) > 500)


@pytest.mark.parametrize(
    ("fix_permit", "changes", "why"),
    [
        ("PMT-9999", {}, "unknown"),
        ("PMT-0001", {"plate": "蒙KA0001"}, "is for 蒙KA0001"),
        ("PMT-0001", {"valid_to": datetime(2026, 12, 1, 1, 0, tzinfo=UTC)}, "not valid"),
        ("PMT-0001", {"valid_from": datetime(2026, 12, 1, 3, 0, tzinfo=UTC)}, "not valid"),
    ],
)
def test_invalid_or_unknown_permit_is_a_breach(fix_permit: str, changes: dict[str, object], why: str) -> None:
    (found,) = corridor(permit(**changes)).feed(position(LAT, ON_ROUTE, permit_id=fix_permit))
    assert why in found.summary


def test_the_scenario_detour_is_one_episode() -> None:
    profile = (0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.4, 0.8, 1.6, 2.4, 3.2, 4.0, 4.8, 5.6, 6.4, 7.2)
    table = corridor()
    found = [
        table.feed(position(north_of(LAT, 500 * share), ON_ROUTE + 0.001 * n, at(10 * n)))
        for n, share in enumerate(profile)
    ]
    assert [n for n, f in enumerate(found) if f] == [8]
    (state,) = table.states.values()
    assert state.breach is not None and len(state.breach.evidence) == 8


def test_back_well_inside_clears_with_hysteresis() -> None:
    table = corridor()
    table.feed(position(north_of(LAT, 600), ON_ROUTE, at(0)))
    assert table.feed(position(north_of(LAT, 450), ON_ROUTE, at(10))) == []  # inside, but on the edge
    (cleared,) = table.feed(position(north_of(LAT, 390), ON_ROUTE, at(20)))
    assert cleared.clears and cleared.first_seen == T0
    assert len(table.feed(position(north_of(LAT, 600), ON_ROUTE, at(30)))) == 1  # a new episode


def test_late_fixes_are_ignored() -> None:
    table = corridor()
    table.feed(position(LAT, ON_ROUTE, at(60)))
    assert table.feed(position(north_of(LAT, 2000), ON_ROUTE, at(30))) == []


def test_silent_vehicle_is_forgotten() -> None:
    table = corridor()
    table.feed(position(LAT, ON_ROUTE))
    table.tick(T0 + RuleSettings().transport_forget_after)
    assert table.states
    table.tick(T0 + RuleSettings().transport_forget_after + timedelta(seconds=1))
    assert table.states == {}


# explosives.stopped_too_long ---------------------------------------------------------------------------


def stopped_table() -> Table:
    return Table(StoppedTooLongRule(), refs(permits=[permit()], sites=explosives_sites()))


def standing(
    table: Table, lon: float, minutes: float, every_s: float = 30.0, speed: float = 0.0
) -> list[Detection]:
    found: list[Detection] = []
    for n in range(int(minutes * 60 / every_s) + 1):
        found += table.feed(position(LAT, lon, at(n * every_s), speed=speed))
    return found


@pytest.mark.parametrize(("minutes", "fires"), [(10.0, False), (20.0, False), (20.5, True), (60.0, True)])
def test_standing_away_from_depot_and_destination(minutes: float, fires: bool) -> None:
    found = standing(stopped_table(), ON_ROUTE, minutes)
    assert len(found) == (1 if fires else 0)
    if fires:
        assert found[0].severity is Severity.HIGH and found[0].subject == "蒙KW9346"
        assert found[0].first_seen == T0


@pytest.mark.parametrize(
    ("lon", "fires"), [(110.0, False), (110.0057, False), (110.2, False), (110.0075, True)]
)
def test_standing_at_the_depot_or_the_destination_is_allowed(lon: float, fires: bool) -> None:
    # 110.0057 is ~490 m from the depot; 110.0075 ~640 m.
    assert bool(standing(stopped_table(), lon, 60.0)) is fires


def test_crawling_is_standing_and_moving_clears() -> None:
    table = stopped_table()
    assert len(standing(table, ON_ROUTE, 25.0, speed=2.0)) == 1
    (cleared,) = table.feed(position(LAT, ON_ROUTE, at(minutes=26), speed=2.1))
    assert cleared.clears
    assert standing(table, ON_ROUTE, 10.0) == []  # a new stop begins from zero


def test_a_silent_standing_truck_fires_by_tick() -> None:
    table = stopped_table()
    table.feed(position(LAT, ON_ROUTE, at(0), speed=0.0))
    (state,) = table.states.values()
    due = table.rule.due(state)
    assert due is not None and due > at(minutes=20)
    assert table.tick(at(minutes=20)) == []
    (found,) = table.tick(due)
    assert not found.clears and table.tick(at(minutes=40)) == []


def test_unknown_permit_uses_the_default_limit() -> None:
    table = Table(StoppedTooLongRule(RuleSettings(default_max_stop_minutes=5.0)))
    assert len(standing(table, 110.0, 6.0)) == 1  # and no exemption: no permit, no depot known


def test_permit_limit_is_used() -> None:
    table = Table(StoppedTooLongRule(), refs(permits=[permit(max_stop_minutes=5.0)]))
    assert len(standing(table, ON_ROUTE, 6.0)) == 1


def test_a_stop_that_outlasted_its_limit_in_silence_fires_on_the_next_moving_fix() -> None:
    # No tick came between the last standing fix and the moving one (a backlog, a compressed clock):
    # the moving fix must raise what a tick at the limit would have raised, and clear it.
    table = stopped_table()
    table.feed(position(LAT, ON_ROUTE, at(0), speed=0.0))
    table.feed(position(LAT, ON_ROUTE, at(minutes=5), speed=0.0))
    raised, cleared = table.feed(position(LAT, ON_ROUTE, at(minutes=30), speed=40.0))
    assert (raised.rule, raised.clears, cleared.clears) == ("explosives.stopped_too_long", False, True)
    assert raised.first_seen == at(0) and "standing for 30 min" in raised.summary
    assert table.tick(at(minutes=40)) == []  # judged once


def test_a_silent_stop_within_its_limit_then_moving_raises_nothing() -> None:
    table = stopped_table()
    table.feed(position(LAT, ON_ROUTE, at(0), speed=0.0))
    assert table.feed(position(LAT, ON_ROUTE, at(minutes=15), speed=40.0)) == []
