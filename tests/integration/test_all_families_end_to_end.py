"""One example of every event type of every family through a real worker into ClickHouse."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from pipeline.contracts import DeviceFamily
from pipeline.contracts.examples import EXAMPLES
from pipeline.contracts.families import FAMILIES, schema_name_of
from pipeline.settings import Settings
from pipeline.storage.client import clickhouse_client
from tests.integration.helpers import NOW_ISO, prepared, produce, running_worker, scenario_settings, wait_for
from tests.unit.factories import device

pytestmark = pytest.mark.integration


def test_every_event_type_is_stored_with_its_place(
    stack_settings: Settings, unique_prefix: str, unique_database: str, tmp_path: Path
) -> None:
    settings = scenario_settings(stack_settings, unique_prefix, unique_database, tmp_path)
    bootstrap, topics = prepared(settings, unique_database)

    by_family = {
        family: [{**EXAMPLES[schema_name_of(t)], "event_time": NOW_ISO} for t in contract.event_types]
        for family, contract in FAMILIES.items()
    }
    registry = {
        example["device_id"]: device(example["device_id"], family=family, site_id="SITE-01")
        for family, examples in by_family.items()
        for example in examples
    }
    produce(
        bootstrap,
        topics.ref_devices,
        [(k.encode(), d.model_dump_json().encode()) for k, d in registry.items()],
    )
    for family, examples in by_family.items():
        produce(bootstrap, topics.raw(family), [(e["device_id"].encode(), orjson.dumps(e)) for e in examples])

    others = [name for f, examples in by_family.items() if f is not DeviceFamily.VEHICLE_CHECKPOINT
              for name in (e["schema"] for e in examples)]  # fmt: skip
    log_path = tmp_path / "worker.log"
    with running_worker(settings, log_path):
        client = clickhouse_client(settings.clickhouse)
        wait_for(
            lambda: client.execute("SELECT count() FROM device_events_dedup")[0][0] == len(others),
            60,
            f"{len(others)} device events in ClickHouse",
            log_path,
        )
        wait_for(
            lambda: client.execute("SELECT count() FROM plate_reads_dedup")[0][0] == 1, 30, "the plate read"
        )
        rows = client.execute(
            "SELECT schema, family, district, site_id, zone_id, plate FROM device_events_dedup"
        )

    stored = {
        schema: (family, district, site, zone, plate) for schema, family, district, site, zone, plate in rows
    }
    assert sorted(stored) == sorted(others)
    assert all(district == "Dongsheng" and site == "SITE-01" for _, district, site, _, _ in stored.values())
    assert stored["crowd_count"][0] == "camera" and stored["crowd_count"][3] == "SQ-KB-01-Z1"
    assert stored["transport_position"][4] == "蒙K3E821"
    assert stored["vehicle_access"][4] == "蒙K7Q219"
