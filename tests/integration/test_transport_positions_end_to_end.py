"""Transport GPS fixes through a real worker: stored, aggregated and alerted where the truck is, not at its
depot (the grid cells come from ``warmcity registry publish``'s reference topic)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from pipeline.city import build_city
from pipeline.city.records import grid_cell_records
from pipeline.contracts import DeviceFamily
from pipeline.reference_publish import publish_city
from pipeline.settings import Settings
from pipeline.stages.locate import CellIndex
from pipeline.storage.client import clickhouse_client
from tests.integration.helpers import prepared, produce, running_worker, scenario_settings, wait_for

pytestmark = pytest.mark.integration


def test_transport_fixes_are_stored_in_the_grid_cell_of_the_fix(
    stack_settings: Settings, unique_prefix: str, unique_database: str, tmp_path: Path
) -> None:
    settings = scenario_settings(stack_settings, unique_prefix, unique_database, tmp_path)
    bootstrap, topics = prepared(settings, unique_database)
    city = build_city("small", 7)
    counts = publish_city(bootstrap, topics, city)
    assert counts["grid_cells"] == len(city.grid_cells)
    index = CellIndex(grid_cell_records(city))

    permit = city.permits[2]  # PMT-0003: from Ejin Horo's depot to a blasting site in Jungar
    truck = city.device(permit.permit_id.replace("PMT-", "EXT-"))
    assert truck is not None
    points = [(p.lat, p.lon) for p in permit.route]
    astray = (points[2][0] + 0.05, points[2][1])  # 5.5 km off the route: the last fix, an alert
    start = datetime.now(UTC) - timedelta(minutes=5)

    def fix(number: int, lat: float, lon: float) -> dict[str, Any]:
        return {
            "schema": "transport_position",
            "schema_version": 1,
            "event_id": f"tr-{truck.device_id}-{number:04d}",
            "device_id": truck.device_id,
            "event_time": (start + timedelta(seconds=10 * number)).isoformat(),
            "plate": permit.plate,
            "permit_id": permit.permit_id,
            "lat": lat,
            "lon": lon,
            "speed_kmh": 45.0,
            "heading_deg": 90.0,
        }

    fixes = [fix(n, lat, lon) for n, (lat, lon) in enumerate([*points, astray])]
    expected = {f["event_id"]: index.place_of(f["lat"], f["lon"]) for f in fixes}
    districts = {place.district for place in expected.values() if place is not None}
    assert {"Ejin Horo", "Jungar"} <= districts  # the fixes leave the depot's district
    produce(
        bootstrap,
        topics.raw(DeviceFamily.EXPLOSIVES),
        [(truck.device_id.encode(), orjson.dumps(f)) for f in fixes],
    )

    log_path = tmp_path / "worker.log"
    with running_worker(settings, log_path):
        client = clickhouse_client(settings.clickhouse)
        wait_for(
            lambda: client.execute("SELECT count() FROM device_events_dedup")[0][0] == len(fixes),
            60,
            f"{len(fixes)} transport positions in ClickHouse",
            log_path,
        )
        rows = client.execute(
            "SELECT event_id, district, patrol_area, grid_cell, station, lat, lon, site_id, subtype"
            " FROM device_events_dedup"
        )
        cells = client.execute(
            "SELECT district, grid_cell, sum(events) FROM cell_hourly_totals"
            " WHERE family = 'explosives' GROUP BY district, grid_cell"
        )
        alert = wait_for(
            lambda: client.execute(
                "SELECT district, grid_cell, station FROM alerts_dedup WHERE rule = 'explosives.off_corridor'"
            ),
            60,
            "the off-corridor alert in ClickHouse",
            log_path,
        )

    for event_id, district, patrol_area, grid_cell, station, lat, lon, site_id, subtype in rows:
        place = expected[event_id]
        assert place is not None
        assert (district, patrol_area, grid_cell, station) == (
            place.district, place.patrol_area, place.grid_cell, place.station
        ), event_id  # fmt: skip
        assert (lat, lon) == pytest.approx((place.lat, place.lon))
        assert (site_id, subtype) == (truck.site_id, "transport")  # still the depot's truck
    # The hourly aggregate counts each fix in its own cell (not all of them in the depot's).
    per_cell: dict[tuple[str, str], int] = {}
    for place in expected.values():
        assert place is not None
        per_cell[(place.district, place.grid_cell)] = per_cell.get((place.district, place.grid_cell), 0) + 1
    assert {(district, cell): events for district, cell, events in cells} == per_cell
    # The alert is raised where the truck strayed.
    strayed = expected[fixes[-1]["event_id"]]
    assert strayed is not None
    assert alert == [(strayed.district, strayed.grid_cell, strayed.station)]
