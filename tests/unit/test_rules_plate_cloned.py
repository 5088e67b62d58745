"""plate.cloned: impossible speed between two checkpoints, never for possible trips or look-alikes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipeline.contracts.alert import Severity
from pipeline.rules.common import haversine_m
from pipeline.rules.plate_cloned import ClonedPlateRule
from pipeline.rules.settings import RuleSettings
from tests.unit.rule_factories import LAT, T0, Table, at, plate_read, vehicle_access

FAR_LON = 110.5  # ~42.9 km east of the default checkpoint at 110.0
FAR_KM = haversine_m(LAT, 110.0, LAT, FAR_LON) / 1000.0


def pair(seconds: float, plate: str = "蒙K12A45", lon: float = FAR_LON) -> tuple[object, object]:
    return (
        plate_read(plate, T0, device_id="KK-A"),
        plate_read(plate, at(seconds), device_id="KK-B", lon=lon),
    )


@pytest.mark.parametrize(
    ("seconds", "fires"),
    [
        (240.0, True),  # the scenario: 43 km in 4 min, ~640 km/h
        (0.0, True),  # the same instant at two places
        (FAR_KM / 251.0 * 3600.0, True),  # just faster than 250 km/h
        (FAR_KM / 249.0 * 3600.0, False),  # fast, but a car can do it
        (12 * 60.0, False),  # 215 km/h
        (3600.0, False),
    ],
)
def test_speed_between_two_checkpoints(seconds: float, fires: bool) -> None:
    table = Table(ClonedPlateRule())
    found = table.feed(*pair(seconds))
    assert bool(found) is fires
    if fires:
        (detection,) = found
        assert (detection.rule, detection.subject, detection.severity) == (
            "plate.cloned",
            "蒙K12A45",
            Severity.HIGH,
        )
        assert len(detection.evidence_event_ids) == 2
        assert detection.first_seen == T0 and detection.last_seen == at(seconds)


def lon_at_km(km: float) -> float:
    """The longitude ``km`` east of the default checkpoint (found by bisection on haversine)."""
    low, high = 110.0, 111.0
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if haversine_m(LAT, 110.0, LAT, middle) < km * 1000 else (low, middle)
    return low


@pytest.mark.parametrize(("km", "fires"), [(5.0, False), (19.9, False), (20.1, True)])
def test_short_distances_never_count_however_fast(km: float, fires: bool) -> None:
    assert bool(Table(ClonedPlateRule()).feed(*pair(1.0, lon=lon_at_km(km)))) is fires


def test_order_of_arrival_does_not_matter() -> None:
    first, second = pair(240.0)
    (found,) = Table(ClonedPlateRule()).feed(second, first)
    assert found.first_seen == T0 and found.last_seen == at(240)
    assert found.evidence_event_ids == (first.event.event_id, second.event.event_id)  # type: ignore[attr-defined]


def test_look_alike_plates_share_a_key_but_are_never_compared() -> None:
    table = Table(ClonedPlateRule())
    table.feed(
        plate_read("蒙KB1234", T0, device_id="KK-A"),
        plate_read("蒙K81234", at(60), device_id="KK-B", lon=FAR_LON),
    )
    assert table.detections == []
    assert len(table.states) == 1


def test_reads_of_one_device_and_barrier_reads_are_not_compared() -> None:
    table = Table(ClonedPlateRule())
    table.feed(
        plate_read("蒙K12A45", T0, device_id="KK-A"),
        plate_read("蒙K12A45", at(1), device_id="KK-A", lon=FAR_LON),
    )
    table.feed(vehicle_access("蒙K12A45", at(2)))
    assert table.detections == []


def test_a_cloned_pair_fires_once_per_history_window() -> None:
    table = Table(ClonedPlateRule())
    for n in range(6):  # the two cars keep being read, alternately
        device, lon = ("KK-A", 110.0) if n % 2 == 0 else ("KK-B", FAR_LON)
        table.feed(plate_read("蒙K12A45", at(minutes=4 * n), device_id=device, lon=lon))
    assert len(table.detections) == 1
    table.feed(plate_read("蒙K12A45", at(minutes=4 * 6) + timedelta(hours=2), device_id="KK-B", lon=FAR_LON))
    table.feed(plate_read("蒙K12A45", at(minutes=4 * 6 + 4) + timedelta(hours=2), device_id="KK-A"))
    assert len(table.detections) == 2


def test_replayed_read_is_judged_once() -> None:
    first, second = pair(240.0)
    table = Table(ClonedPlateRule(RuleSettings(plate_history=timedelta(minutes=1))))
    table.feed(first, second, second)
    assert len(table.detections) == 1


def test_history_is_bounded_and_forgotten() -> None:
    table = Table(ClonedPlateRule())
    for n in range(30):
        table.feed(plate_read("蒙K12A45", at(minutes=n), device_id=f"KK-{n % 3}"))
    (state,) = table.states.values()
    assert len(state.sightings) == RuleSettings().plate_history_max
    due = table.rule.due(state)
    assert due == state.sightings[0].at + RuleSettings().plate_history
    table.tick(at(minutes=29) + RuleSettings().plate_history + timedelta(seconds=1))
    assert table.states == {}
