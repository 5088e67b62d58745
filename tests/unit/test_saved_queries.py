"""Saved queries without a server: parameters and their errors, rendering, output formats, the CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from click.testing import CliRunner

from pipeline.analytics import (
    SAVED_QUERIES,
    OutputFormat,
    Param,
    ParameterError,
    ParamKind,
    QueryResult,
    SavedQueries,
    UnknownQuery,
    format_result,
)
from pipeline.analytics.format import display_width
from pipeline.analytics.params import parse_time
from pipeline.cli.main import cli

NOW = datetime(2026, 12, 1, 10, 30, 15, 123_456, tzinfo=UTC)
AGGREGATES = {"cell_hourly", "checkpoint_hourly", "device_hourly", "crowd_hourly"}
REQUIRED = {"plate-trajectory": {"plate": "蒙K8A888"}, "subject-events": {"token": "pt_" + "0" * 24}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", datetime(2026, 12, 1, 10, 30, 15)),
        ("-24h", datetime(2026, 11, 30, 10, 30, 15)),
        ("-7d", datetime(2026, 11, 24, 10, 30, 15)),
        ("-30m", datetime(2026, 12, 1, 10, 0, 15)),
        ("-2w", datetime(2026, 11, 17, 10, 30, 15)),
        ("-90s", datetime(2026, 12, 1, 10, 28, 45)),
        ("now-1h", datetime(2026, 12, 1, 9, 30, 15)),
        (" -1H ", datetime(2026, 12, 1, 9, 30, 15)),
        ("2026-11-20", datetime(2026, 11, 20)),
        ("2026-11-20T09:15", datetime(2026, 11, 20, 9, 15)),
        ("2026-11-20 09:15:30", datetime(2026, 11, 20, 9, 15, 30)),
        ("2026-11-20T09:15:30.999Z", datetime(2026, 11, 20, 9, 15, 30)),
        ("2026-11-20T17:15:00+08:00", datetime(2026, 11, 20, 9, 15)),
    ],
)
def test_times_are_iso_or_relative_and_become_naive_utc_seconds(text: str, expected: datetime) -> None:
    assert parse_time(text, NOW) == expected


@pytest.mark.parametrize(
    "text", ["yesterday", "-24", "24h", "-1y", "2026-13-01", "", "1960-01-01", "2200-01-01"]
)
def test_a_time_that_cannot_be_read_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text, NOW)


def bind(name: str, **raw: str) -> dict[str, Any]:
    return SAVED_QUERIES.get(name).bind({**REQUIRED.get(name, {}), **raw}, NOW)


def test_defaults_apply_when_nothing_is_given() -> None:
    values = bind("busiest-checkpoints")
    assert values == {
        "start": datetime(2026, 11, 30, 10, 30, 15),
        "end": datetime(2026, 12, 1, 10, 30, 15),
        "district": "",
        "ring": "",
        "limit": 20,
        "now": datetime(2026, 12, 1, 10, 30, 15),
    }
    assert bind("plate-trajectory")["start"] == datetime(2026, 11, 24, 10, 30, 15)


def test_values_are_normalised() -> None:
    assert bind("plate-trajectory", plate=" 蒙k 8a-888 ")["plate"] == "蒙K8A888"
    assert bind("subject-events", token="PT_" + "AB" * 12)["token"] == "pt_" + "ab" * 12
    assert bind("alerts-by-district", severity=" High")["severity"] == "high"
    assert bind("device-uptime", family="Camera", district=" Dalad ")["family"] == "camera"
    assert bind("busiest-checkpoints", limit=" 5 ")["limit"] == 5


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("busiest-checkpoints", {"start": "yesterday"}, "--from: cannot read 'yesterday' as a time"),
        ("busiest-checkpoints", {"end": "2026-02-30"}, "--to: cannot read '2026-02-30'"),
        (
            "busiest-checkpoints",
            {"start": "-1h", "end": "-2h"},
            "--from: 2026-12-01 09:30:15 UTC is not before --to",
        ),
        ("busiest-checkpoints", {"start": "2026-12-02"}, "--from: 2026-12-02 00:00:00 UTC is in the future"),
        ("busiest-checkpoints", {"limit": "0"}, "--limit: 0 is below the minimum 1"),
        ("busiest-checkpoints", {"limit": "ten"}, "--limit: 'ten' is not a whole number"),
        ("busiest-checkpoints", {"limit": "1000000"}, "--limit: 1000000 is above the maximum 100000"),
        ("busiest-checkpoints", {"district": "Dong\nsheng"}, "--district: contains a control character"),
        ("busiest-checkpoints", {"district": "x" * 101}, "--district: is longer than 100 characters"),
        ("busiest-checkpoints", {"plate": "蒙K8A888"}, "plate: busiest-checkpoints has no such parameter"),
        ("plate-trajectory", {"plate": "蒙K8"}, "--plate: '蒙K8' is not a plate"),
        ("plate-trajectory", {"plate": "'; DROP TABLE x"}, '--plate: "\'; DROP TABLE x" is not a plate'),
        ("plate-trajectory", {"plate": "  "}, "--plate: must not be empty"),
        (
            "subject-events",
            {"token": "110101199003077777"},
            "--token: '110101199003077777' is not a person token",
        ),
        (
            "alerts-by-district",
            {"severity": "urgent"},
            "--severity: 'urgent' is not one of critical, high, medium, low",
        ),
        ("device-uptime", {"family": "drone"}, "--family: 'drone' is not one of vehicle_checkpoint"),
    ],
)
def test_a_bad_value_names_its_option(name: str, raw: dict[str, str], message: str) -> None:
    saved = SAVED_QUERIES.get(name)
    with pytest.raises(ParameterError) as caught:
        saved.bind({**REQUIRED.get(name, {}), **raw}, NOW)
    assert str(caught.value).startswith(message)


def test_a_required_parameter_must_be_given() -> None:
    with pytest.raises(ParameterError, match=r"^--plate: a value is required$"):
        SAVED_QUERIES.get("plate-trajectory").bind({}, NOW)


def test_an_optional_filter_may_be_empty_but_a_required_text_may_not() -> None:
    assert bind("busiest-checkpoints", district="")["district"] == ""
    required = Param("site", ParamKind.TEXT, "A site.")
    with pytest.raises(ParameterError, match=r"^--site: must not be empty$"):
        required.parse(" ", NOW)


@pytest.mark.parametrize("saved", list(SAVED_QUERIES), ids=SAVED_QUERIES.names())
def test_every_saved_query_renders_with_every_placeholder_bound(saved: Any) -> None:
    values = saved.bind(REQUIRED.get(saved.name, {}), NOW)
    sql = saved.render(values)
    assert "%(" not in sql
    for table, final in re.findall(r"\bFROM\s+(\w+)(\s+FINAL)?", sql):
        # What the dedup and totals views read: FINAL, -Merge of the states, or a view itself.
        exact = final or table.endswith(("_dedup", "_current")) or (table in AGGREGATES and "Merge(" in sql)
        assert exact, f"{saved.name} reads {table} without FINAL or -Merge"
    assert saved.description and saved.details
    for param in saved.params:
        assert f"%({param.name})s" in saved.sql, f"{param.option} is not used by the SQL"
        assert param.help


def test_render_escapes_values_like_the_driver() -> None:
    saved = SAVED_QUERIES.get("busiest-checkpoints")
    sql = saved.render(saved.bind({"district": "O'Brien \\ x"}, NOW))
    assert "'O\\'Brien \\\\ x'" in sql
    assert "toDateTime('2026-11-30 10:30:15', 'UTC')" in sql
    assert "LIMIT 20" in sql


def test_the_registry_refuses_duplicates_and_names_the_known_queries() -> None:
    with pytest.raises(ValueError, match="two saved queries"):
        SavedQueries((SAVED_QUERIES.get("crowd-peaks"), SAVED_QUERIES.get("crowd-peaks")))
    with pytest.raises(UnknownQuery, match="busiest-checkpoints, plate-trajectory"):
        SAVED_QUERIES.get("nope")
    assert {"busiest-checkpoints", "plate-trajectory", "alerts-by-district", "device-uptime",
            "crowd-peaks", "family-volume", "subject-events"} <= set(SAVED_QUERIES.names())  # fmt: skip


def test_describe_names_the_values_in_force() -> None:
    saved = SAVED_QUERIES.get("plate-trajectory")
    values = saved.bind({"plate": "蒙K8A888", "start": "2026-11-20", "end": "2026-11-21"}, NOW)
    assert saved.describe(values) == "--plate 蒙K8A888 --from 2026-11-20 00:00:00 --to 2026-11-21 00:00:00"


RESULT = QueryResult(
    columns=("hour", "device_id", "plate", "reads", "max_speed_kmh", "day"),
    rows=(
        (datetime(2026, 11, 20, 9, tzinfo=UTC), "KK-DS-0001", "蒙K8A888", 1234, 71.2, date(2026, 11, 20)),
        (datetime(2026, 11, 20, 10), "KK-DL-0001", 'a,"b"', 7, 55.0, date(2026, 11, 21)),
    ),
)


def test_table_aligns_columns_numbers_right_and_counts_rows() -> None:
    assert format_result(RESULT, OutputFormat.TABLE) == (
        "hour                 device_id   plate     reads  max_speed_kmh  day\n"
        "-------------------  ----------  --------  -----  -------------  ----------\n"
        "2026-11-20 09:00:00  KK-DS-0001  蒙K8A888   1234           71.2  2026-11-20\n"
        '2026-11-20 10:00:00  KK-DL-0001  a,"b"         7             55  2026-11-21\n'
        "(2 rows)\n"
    )


def test_wide_characters_count_two_columns() -> None:
    assert display_width("蒙K8A888") == 8
    assert display_width("Dongsheng") == 9


def test_csv_has_a_header_and_quotes_what_needs_it() -> None:
    text = format_result(RESULT, OutputFormat.CSV)
    assert text.splitlines()[0] == "hour,device_id,plate,reads,max_speed_kmh,day"
    assert text.splitlines()[2] == '2026-11-20 10:00:00,KK-DL-0001,"a,""b""",7,55,2026-11-21'
    assert list(csv.reader(io.StringIO(text)))[1][2] == "蒙K8A888"


def test_json_is_an_array_of_objects_with_utc_times() -> None:
    records = json.loads(format_result(RESULT, OutputFormat.JSON))
    assert records[0] == {
        "hour": "2026-11-20T09:00:00Z",
        "device_id": "KK-DS-0001",
        "plate": "蒙K8A888",
        "reads": 1234,
        "max_speed_kmh": 71.2,
        "day": "2026-11-20",
    }
    assert records[1]["max_speed_kmh"] == 55.0
    assert "蒙K8A888" in format_result(RESULT, OutputFormat.JSON)  # not \u-escaped


def test_an_empty_result_is_still_a_document() -> None:
    empty = QueryResult(columns=("hour", "reads"), rows=())
    assert format_result(empty, OutputFormat.CSV) == "hour,reads\n"
    assert format_result(empty, OutputFormat.JSON) == "[]\n"
    assert format_result(empty, OutputFormat.TABLE).endswith("(0 rows)\n")


def test_the_list_shows_every_query_with_its_description() -> None:
    for args in (["query", "--list"], ["query", "list"], ["query"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        for saved in SAVED_QUERIES:
            assert f"  {saved.name}  " in result.output or f"  {saved.name} " in result.output
            assert saved.description in result.output


@pytest.mark.parametrize("saved", list(SAVED_QUERIES), ids=SAVED_QUERIES.names())
def test_each_query_s_help_shows_each_parameter(saved: Any) -> None:
    result = CliRunner().invoke(cli, ["query", saved.name, "--help"])
    assert result.exit_code == 0, result.output
    for param in saved.params:
        assert param.option in result.output
    assert "--format" in result.output and "--sql" in result.output


def test_a_bad_parameter_exits_2_with_its_name_before_connecting() -> None:
    # Port 1: nothing listens there, so reaching the server would fail differently (exit 1).
    env = {"WARMCITY_CLICKHOUSE_PORT": "1"}
    result = CliRunner().invoke(cli, ["query", "crowd-peaks", "--from", "last tuesday"], env=env)
    assert result.exit_code == 2
    assert "error: --from: cannot read 'last tuesday' as a time" in result.stderr
    missing = CliRunner().invoke(cli, ["query", "plate-trajectory"], env=env)
    assert missing.exit_code == 2 and "--plate" in missing.stderr


def test_sql_prints_the_rendered_query_without_a_server() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "query",
            "plate-trajectory",
            "--plate",
            "蒙K8A888",
            "--from",
            "2026-11-20",
            "--to",
            "2026-11-21",
            "--sql",
        ],
        env={"WARMCITY_CLICKHOUSE_PORT": "1"},
    )
    assert result.exit_code == 0, result.output
    assert (
        "WHERE plate = '蒙K8A888' AND event_time >= toDateTime('2026-11-20 00:00:00', 'UTC')" in result.stdout
    )


def test_an_unreachable_server_is_one_error_line_and_exit_1() -> None:
    result = CliRunner().invoke(cli, ["query", "family-volume"], env={"WARMCITY_CLICKHOUSE_PORT": "1"})
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ClickHouse at 127.0.0.1:1/")
    assert len(result.stderr.strip().splitlines()) == 1
