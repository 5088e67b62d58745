"""``warmcity query`` on the real ClickHouse 18.16 of the test stack, with the sample of the chDB tests.

The sample (tests/unit/test_saved_queries_chdb.py) is inserted twice through the sink's tables, and every
case there must give the same figures here, through the CLI, as CSV; the table and JSON outputs, an empty
result and the exit codes are checked on top. One database serves the whole module (the sample is read,
never changed); it is dropped at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest
from click.testing import CliRunner, Result

from pipeline.analytics import SAVED_QUERIES
from pipeline.cli.main import cli
from pipeline.settings import Settings
from pipeline.storage.client import clickhouse_client
from pipeline.storage.migrate import migrate
from tests.unit.test_saved_queries_chdb import CASES, COLUMNS, SAMPLE, WINDOW, Case, csv_rows, guide_sql


@pytest.fixture(scope="module")
def analyst_settings(stack_settings: Settings) -> Iterator[Settings]:
    """The test stack's settings on a database holding the sample, replayed once."""
    database = f"it_query_{uuid.uuid4().hex[:8]}"
    settings = replace(
        stack_settings, clickhouse=stack_settings.clickhouse.model_copy(update={"database": database})
    )
    migrate(settings.clickhouse, database)
    client = clickhouse_client(settings.clickhouse)
    try:
        for _replay in range(2):
            for table, rows in SAMPLE.items():
                client.execute(f"INSERT INTO {table} ({', '.join(COLUMNS[table])}) VALUES", rows)
        yield settings
    finally:
        client.execute(f"DROP DATABASE IF EXISTS `{database}`")
        client.disconnect()


def options(case: Case) -> list[str]:
    saved = SAVED_QUERIES.get(case.query)
    args = []
    for name, value in case.raw.items():
        args += [saved.param(name).option, value]
    return args


def run(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(cli, ["query", *args], obj=settings)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_every_case_gives_the_same_figures_on_18_16(analyst_settings: Settings, case: Case) -> None:
    result = run(analyst_settings, case.query, *options(case), "--format", "csv")
    assert result.exit_code == 0, result.output
    assert csv_rows(result.stdout) == case.expected


def test_the_table_is_aligned_with_a_count(analyst_settings: Settings) -> None:
    result = run(analyst_settings, "busiest-checkpoints", "--from", "2026-11-20", "--to", "2026-11-21")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "device_id   station  ring    district   reads  watchlisted_reads  busiest_hour_reads"
        "  max_speed_kmh  active_hours\n"
        "----------  -------  ------  ---------  -----  -----------------  ------------------"
        "  -------------  ------------\n"
        "KK-DS-0001  ST-01    core    Dongsheng      4                  1                   3"
        "           71.2             2\n"
        "KK-DL-0001  ST-06    city    Dalad          2                  1                   2"
        "          101.3             1\n"
        "KK-DS-0002  ST-01    banner  Dongsheng      1                  1                   1"
        "           80.4             1\n"
        "(3 rows)\n"
    )


def test_json_is_an_array_of_typed_objects(analyst_settings: Settings) -> None:
    window = ["--from", WINDOW["start"], "--to", WINDOW["end"]]
    result = run(analyst_settings, "plate-trajectory", "--plate", "蒙K8A888", *window, "--format", "json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["event_time"] for r in records] == [
        "2026-11-20T09:05:10Z",
        "2026-11-20T10:40:00Z",
        "2026-11-20T11:02:00Z",
    ]
    assert records[0] == {
        "event_time": "2026-11-20T09:05:10Z",
        "device_id": "KK-DS-0001",
        "station": "ST-01",
        "ring": "core",
        "district": "Dongsheng",
        "patrol_area": "PA-01",
        "grid_cell": "GC-0001",
        "direction": "inbound",
        "lat": 39.81,
        "lon": 109.97,
        "watchlisted": 1,
    }


def test_an_empty_result_says_so(analyst_settings: Settings) -> None:
    table = run(
        analyst_settings,
        "plate-trajectory",
        "--plate",
        "蒙A00000",
        "--from",
        "2026-11-20",
        "--to",
        "2026-11-21",
    )
    assert table.exit_code == 0
    assert table.stdout == (
        "no rows: plate-trajectory found nothing for --plate 蒙A00000 --from 2026-11-20 00:00:00 "
        "--to 2026-11-21 00:00:00\n"
    )
    as_json = run(analyst_settings, "subject-events", "--token", "pt_" + "c" * 24, "--format", "json")
    assert as_json.exit_code == 0
    assert as_json.stdout == "[]\n"
    assert as_json.stderr.startswith("no rows: subject-events found nothing for --token pt_ccc")


def test_the_console_script_reads_its_settings_from_the_environment(analyst_settings: Settings) -> None:
    ch = analyst_settings.clickhouse
    env = {
        **os.environ,
        "WARMCITY_CLICKHOUSE_HOST": ch.host,
        "WARMCITY_CLICKHOUSE_PORT": str(ch.port),
        "WARMCITY_CLICKHOUSE_DATABASE": ch.database,
        "WARMCITY_CLICKHOUSE_USER": ch.user,
        "WARMCITY_CLICKHOUSE_PASSWORD": ch.password.get_secret_value(),
    }
    command = [sys.executable, "-m", "pipeline.cli.main", "query", "crowd-peaks"]
    window = ["--from", WINDOW["start"], "--to", WINDOW["end"]]
    good = subprocess.run(
        [*command, *window, "--format", "csv"], env=env, capture_output=True, text=True, check=False
    )
    assert good.returncode == 0, good.stderr
    assert csv_rows(good.stdout) == next(case.expected for case in CASES if case.id == "crowd")
    bad = subprocess.run(
        [*command, *window, "--limit", "-3"], env=env, capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: --limit: -3 is below the minimum 1"
    assert bad.stdout == ""


def test_a_database_without_the_migrations_is_named_with_a_hint(analyst_settings: Settings) -> None:
    elsewhere = replace(
        analyst_settings,
        clickhouse=analyst_settings.clickhouse.model_copy(update={"database": "it_query_none"}),
    )
    result = run(elsewhere, "family-volume")
    assert result.exit_code == 1
    assert "it_query_none" in result.stderr and "warmcity migrate" in result.stderr


def test_every_sql_example_of_the_guide_runs_on_18_16(analyst_settings: Settings) -> None:
    client = clickhouse_client(analyst_settings.clickhouse)
    try:
        for sql in guide_sql():
            client.execute(sql)
        (copies, reads) = client.execute(next(sql for sql in guide_sql() if "stored_copies" in sql))[0]
        # Two copies of each read until a background merge collapses them; the view shows one either way.
        assert reads == len(SAMPLE["plate_reads"]) and copies in (reads, 2 * reads)
    finally:
        client.disconnect()
