"""Events that carry their own position are placed at it: enrich, the intake, the sink's rows and the rules.

A transport's GPS fix goes to the grid cell of the fix (``stages.locate``), not to its depot; every other
event keeps its device's registered place, and without known grid cells so does the fix.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest

from pipeline.city.records import grid_cell_records
from pipeline.contracts import DeviceFamily, EnrichedEvent
from pipeline.contracts.examples import EXAMPLES
from pipeline.contracts.families import EVENT_TYPES, FAMILIES
from pipeline.contracts.reference import Place
from pipeline.errors import RejectReason
from pipeline.rules.references import References
from pipeline.rules.transport_corridor import OffCorridorRule
from pipeline.rules.transport_stopped import StoppedTooLongRule
from pipeline.stages.enrich import enrich_event
from pipeline.stages.intake import IntakeContext, RawMessage, process_batch
from pipeline.stages.locate import CellIndex, CellLocator
from pipeline.stages.rows import DEVICE_EVENT_COLUMNS, device_event_row, device_event_row_of
from pipeline.stages.validate import validate_document
from tests.unit.factories import PLACE, PSEUDONYMISER, device
from tests.unit.rule_factories import Table
from tests.unit.test_city import built

CITY = built("small")
CELLS = {cell.grid_cell_id: cell for cell in grid_cell_records(CITY)}
INDEX = CellIndex(CELLS.values())
PERMIT = CITY.permits[2]  # PMT-0003: from Ejin Horo's depot to a blasting site in Jungar
TRUCK = next(d for d in CITY.devices if d.device_id == PERMIT.permit_id.replace("PMT-", "EXT-"))
JUNGAR_FIX = (PERMIT.route[2].lat, PERMIT.route[2].lon)  # far from the depot, in another district


def family_of(schema: str) -> DeviceFamily:
    return next(f for f, contract in FAMILIES.items() if EVENT_TYPES[schema] in contract.event_types)


def fix_document(
    lat: float, lon: float, number: int = 1, speed: float = 45.0, **changes: Any
) -> dict[str, Any]:
    document = {
        **EXAMPLES["transport_position"],
        "event_id": f"tr-{TRUCK.device_id}-{number:06d}",
        "device_id": TRUCK.device_id,
        "plate": PERMIT.plate,
        "permit_id": PERMIT.permit_id,
        "lat": lat,
        "lon": lon,
        "speed_kmh": speed,
    }
    document.update(changes)
    return document


class RaisingLocator(CellLocator):
    """A locator no event may consult."""

    def __init__(self) -> None:
        super().__init__({})

    def place_of(self, lat: float, lon: float) -> Place | None:
        raise AssertionError("the locator was asked about an event without a position")


def test_only_events_with_their_own_lat_and_lon_are_positioned() -> None:
    for name, event_type in EVENT_TYPES.items():
        has_fix = {"lat", "lon"} <= set(event_type.model_fields)
        assert event_type.POSITIONED is has_fix, name
    assert [name for name, t in EVENT_TYPES.items() if t.POSITIONED] == ["transport_position"]


def test_a_transport_fix_is_placed_where_it_is_not_at_its_depot() -> None:
    event = validate_document(fix_document(*JUNGAR_FIX), DeviceFamily.EXPLOSIVES)
    enriched = enrich_event(
        event, DeviceFamily.EXPLOSIVES, {TRUCK.device_id: TRUCK}, {}, {}, CellLocator(CELLS)
    )
    assert enriched.place == INDEX.place_of(*JUNGAR_FIX)
    assert (enriched.place.lat, enriched.place.lon) == JUNGAR_FIX
    assert enriched.place.district == "Jungar" != TRUCK.place.district
    # The rest is still the device's: its depot as site, its subtype, no ring.
    assert (enriched.site_id, enriched.subtype, enriched.ring) == (TRUCK.site_id, "transport", None)


def test_a_fix_at_the_depot_is_placed_as_the_depot() -> None:
    event = validate_document(fix_document(TRUCK.place.lat, TRUCK.place.lon), DeviceFamily.EXPLOSIVES)
    enriched = enrich_event(
        event, DeviceFamily.EXPLOSIVES, {TRUCK.device_id: TRUCK}, {}, {}, CellLocator(CELLS)
    )
    assert enriched.place == TRUCK.place


@pytest.mark.parametrize("cells", [None, {}], ids=["no locator", "no cells"])
def test_without_grid_cells_a_fix_keeps_its_device_s_place(cells: dict[str, Any] | None) -> None:
    event = validate_document(fix_document(*JUNGAR_FIX), DeviceFamily.EXPLOSIVES)
    locator = None if cells is None else CellLocator(cells)
    enriched = enrich_event(event, DeviceFamily.EXPLOSIVES, {TRUCK.device_id: TRUCK}, {}, {}, locator)
    assert enriched.place == TRUCK.place


@pytest.mark.parametrize("schema", sorted(set(EXAMPLES) - {"transport_position"}))
def test_every_other_event_keeps_its_device_s_place_without_asking_the_locator(schema: str) -> None:
    family = family_of(schema)
    event = PSEUDONYMISER.pseudonymise(validate_document(dict(EXAMPLES[schema]), family))
    devices = {event.device_id: device(event.device_id, family=family, site_id="SITE-01")}
    enriched = enrich_event(event, family, devices, {}, {}, RaisingLocator())
    assert enriched.place == PLACE and enriched.site_id == "SITE-01"


def _context(**changes: Any) -> IntakeContext:
    fields: dict[str, Any] = {
        "pseudonymiser": PSEUDONYMISER,
        "devices": {d.device_id: d for d in CITY.devices},
        "plate_watchlist": {},
        "person_watchlist": {},
        "grid_cells": CELLS,
    }
    fields.update(changes)
    return IntakeContext(**fields)


def _through_intake(documents: list[dict[str, Any]], context: IntakeContext) -> Any:
    messages = [
        RawMessage("raw.explosives", 0, offset, d["device_id"].encode(), orjson.dumps(d))
        for offset, d in enumerate(documents)
    ]
    now = validate_document(documents[-1], DeviceFamily.EXPLOSIVES).event_time + timedelta(seconds=1)
    return process_batch(messages, DeviceFamily.EXPLOSIVES, context, now)


def test_the_intake_places_each_fix_and_the_rows_carry_that_place() -> None:
    route = [(p.lat, p.lon) for p in PERMIT.route]
    door = next(d for d in CITY.devices if d.site_id == TRUCK.site_id and d.subtype == "door")
    door_event = {**EXAMPLES["depot_door"], "device_id": door.device_id}
    outcome = _through_intake(
        [fix_document(lat, lon, n) for n, (lat, lon) in enumerate(route)] + [door_event], _context()
    )
    assert not outcome.dead_letters
    fixes, (opening,) = outcome.enriched[:-1], outcome.enriched[-1:]
    assert [item.place for item in fixes] == [INDEX.place_of(lat, lon) for lat, lon in route]
    assert {item.place.district for item in fixes} >= {"Ejin Horo", "Jungar"}
    assert opening.place == door.place  # a door stays at its depot
    column = {name: i for i, name in enumerate(DEVICE_EVENT_COLUMNS)}
    for item, (lat, lon) in zip(fixes, route, strict=True):
        row = device_event_row(item)
        assert row == device_event_row_of(orjson.loads(item.model_dump_json(by_alias=True)))
        stored = {
            name: row[column[name]]
            for name in ("district", "patrol_area", "grid_cell", "station", "lat", "lon")
        }
        assert stored == {**item.place.model_dump(), "lat": lat, "lon": lon}
        assert row[column["site_id"]] == TRUCK.site_id and row[column["subtype"]] == "transport"


def test_the_intake_dead_letters_a_fix_of_an_unknown_tracker_as_before() -> None:
    outcome = _through_intake([fix_document(*JUNGAR_FIX, device_id="EXT-9999")], _context())
    (letter,) = outcome.dead_letters
    assert letter.reason == RejectReason.UNKNOWN_DEVICE and not outcome.accepted


def test_an_intake_context_without_grid_cells_keeps_the_registered_place() -> None:
    context = IntakeContext(PSEUDONYMISER, {d.device_id: d for d in CITY.devices}, {}, {})
    (item,) = _through_intake([fix_document(*JUNGAR_FIX)], context).enriched
    assert item.place == TRUCK.place


def _refs() -> References:
    return References.from_records(devices=CITY.devices, sites=CITY.sites, permits=CITY.permits)


def test_the_transport_rules_alert_where_the_truck_is() -> None:
    # Standing for 25 minutes off its route, in Jungar: off its corridor and stopped too long.
    lat, lon = JUNGAR_FIX[0] + 0.05, JUNGAR_FIX[1]
    first, later = fix_document(lat, lon, 1, speed=0.0), fix_document(lat, lon, 2, speed=0.0)
    first_time = validate_document(first, DeviceFamily.EXPLOSIVES).event_time
    later["event_time"] = (first_time + timedelta(minutes=25)).isoformat()
    items: list[EnrichedEvent] = _through_intake([first, later], _context()).enriched
    located = INDEX.place_of(lat, lon)
    assert located is not None and located.district != TRUCK.place.district
    assert all(item.place == located for item in items)
    (off_corridor,) = Table(OffCorridorRule(), _refs()).feed(*items)
    (stopped,) = Table(StoppedTooLongRule(), _refs()).feed(*items)
    assert off_corridor.place == located and stopped.place == located
