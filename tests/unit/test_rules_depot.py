"""explosives.depot_after_hours and explosives.inventory_drop."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.contracts.alert import Severity
from pipeline.contracts.explosives import DoorAction
from pipeline.rules.base import SubjectKind
from pipeline.rules.depot_after_hours import DepotAfterHoursRule
from pipeline.rules.inventory_drop import InventoryDropRule
from pipeline.rules.settings import RuleSettings
from tests.unit.rule_factories import Table, at, depot, depot_door, inventory, refs


def local(hh_mm_ss: str) -> datetime:
    """A moment of 2026-12-01 in Ordos (UTC+8, no daylight saving) as the devices stamp it, in UTC."""
    return datetime.fromisoformat(f"2026-12-01T{hh_mm_ss}+08:00").astimezone(UTC)


@pytest.mark.parametrize(
    ("hours", "when", "fires"),
    [
        (("08:00-12:00", "14:00-18:00"), "07:59:59", True),
        (("08:00-12:00", "14:00-18:00"), "08:00:00", False),  # a window includes its start ...
        (("08:00-12:00", "14:00-18:00"), "11:59:59", False),
        (("08:00-12:00", "14:00-18:00"), "12:00:00", True),  # ... and excludes its end
        (("08:00-12:00", "14:00-18:00"), "13:00:00", True),
        (("08:00-12:00", "14:00-18:00"), "17:59:00", False),
        (("08:00-12:00", "14:00-18:00"), "02:30:00", True),
        (("22:00-06:00",), "23:30:00", False),  # a window past midnight
        (("22:00-06:00",), "05:59:59", False),
        (("22:00-06:00",), "06:00:00", True),
        (("22:00-06:00",), "21:59:59", True),
        (("00:00-24:00",), "23:59:59", False),
        ((), "10:00:00", True),  # a depot that may never open
    ],
)
def test_opening_outside_permitted_local_hours(hours: tuple[str, ...], when: str, fires: bool) -> None:
    table = Table(DepotAfterHoursRule(), refs(depots=[depot(hours)]))
    found = table.feed(depot_door(local(when)))
    assert bool(found) is fires
    if fires:
        (detection,) = found
        assert (detection.subject, detection.subject_kind, detection.severity) == (
            "DEP-YJ-01",
            SubjectKind.SITE_ID,
            Severity.CRITICAL,
        )
        assert f"at {when[:5]} local" in detection.summary


def test_closing_after_hours_and_unknown_depots_do_not_fire() -> None:
    table = Table(DepotAfterHoursRule(), refs(depots=[depot()]))
    assert table.feed(depot_door(local("23:00:00"), DoorAction.CLOSE)) == []
    assert table.feed(depot_door(local("23:00:00"), site_id="DEP-XX-99")) == []


def test_local_time_zone_is_a_setting() -> None:
    rule = DepotAfterHoursRule(RuleSettings(local_timezone="UTC"))
    table = Table(rule, refs(depots=[depot()]))
    assert table.feed(depot_door(local("10:00:00"))) != []  # 02:00 in UTC: closed there


# explosives.inventory_drop -----------------------------------------------------------------------------


def stock(*steps: tuple[int, str | None], nominal: int = 10_000) -> Table:
    table = Table(InventoryDropRule(), refs(depots=[depot(stock={"detonator": nominal})]))
    for n, (count, dispatch) in enumerate(steps):
        table.feed(inventory(count, at(minutes=5 * n), dispatch_id=dispatch))
    return table


@pytest.mark.parametrize(
    ("steps", "fires"),
    [
        (((10_000, None), (9_500, None)), True),  # the scenario: 5% gone, no dispatch
        (((10_000, None), (9_999, None)), True),
        (((10_000, None), (9_500, "DSP-1")), False),  # a dispatch explains it
        (((10_000, None), (10_000, None)), False),
        (((10_000, None), (9_500, "DSP-1"), (10_000, None)), False),  # restocked
        (((10_000, None), (9_500, "DSP-1"), (9_400, None)), True),  # a drop below the dispatched level
        (((9_000, None),), True),  # the first count, against the nominal stock
        (((10_500, None),), False),
    ],
)
def test_drop_without_dispatch(steps: tuple[tuple[int, str | None], ...], fires: bool) -> None:
    table = stock(*steps)
    assert bool(table.detections) is fires
    if fires:
        (detection,) = table.detections
        assert detection.severity is Severity.CRITICAL and detection.subject == "DEP-YJ-01"
        assert "without a dispatch" in detection.summary


def test_items_are_compared_with_themselves_only() -> None:
    table = Table(InventoryDropRule(), refs(depots=[depot(stock={"detonator": 10_000, "fuse": 50})]))
    table.feed(inventory(10_000, at(0)), inventory(40, at(60), item="fuse"), inventory(10_000, at(120)))
    assert len(table.detections) == 1 and "fuse" in table.detections[0].summary


def test_a_late_count_is_ignored() -> None:
    table = stock((10_000, None))
    table.feed(inventory(10_000, at(minutes=10)))
    assert table.feed(inventory(9_000, at(minutes=7))) == []  # older than the latest: not the stock now
    assert table.feed(inventory(9_000, at(minutes=11))) != []


def test_without_a_depot_record_the_first_count_is_only_a_baseline() -> None:
    table = Table(InventoryDropRule())
    assert table.feed(inventory(5, at(0))) == []
    assert len(table.feed(inventory(4, at(60)))) == 1
