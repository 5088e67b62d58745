"""Every saved query on a real engine: chDB (ClickHouse in-process) with the project's migrations applied.

A small, known dataset (below) is inserted twice, as a replay after a crash would, through the tables the
sink writes (plate_reads, device_events, alerts) so that the migrations' materialized views fill the
analyst tables. Each case runs one saved query's SQL with its values substituted the way
clickhouse-driver does, and compares the result, as CSV, with the figures worked out by hand.
tests/integration/test_query_cli.py runs the same cases through the CLI on the 18.16 test stack.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from clickhouse_driver.util.escape import escape_param

from pipeline.analytics import SAVED_QUERIES
from pipeline.stages.rows import ALERT_COLUMNS, DEVICE_EVENT_COLUMNS, PLATE_READ_COLUMNS
from pipeline.storage.dialect import ServerDialect
from pipeline.storage.migrate import load_migrations

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "analysts.md"
NOW = datetime(2026, 11, 25, tzinfo=UTC)
DAY = datetime(2026, 11, 20)  # the sample's day, naive UTC as the rows carry it
TOKEN_A = "pt_" + "a" * 24
TOKEN_B = "pt_" + "b" * 24
WINDOW = {"start": "2026-11-20T00:00", "end": "2026-11-21T00:00"}

CHECKPOINTS = {
    "KK-DS-0001": ("Dongsheng", "PA-01", "GC-0001", "ST-01", "core", 39.81, 109.97),
    "KK-DS-0002": ("Dongsheng", "PA-02", "GC-0002", "ST-01", "banner", 39.85, 109.9),
    "KK-DL-0001": ("Dalad", "PA-08", "GC-0038", "ST-06", "city", 40.07669, 110.27939),
}


def at(hour: int, minute: int = 0, second: int = 0, day: int = 0) -> datetime:
    return DAY + timedelta(days=day, hours=hour, minutes=minute, seconds=second)


def plate_read(event_id: str, when: datetime, ms: int, device: str, plate: str, direction: str,
               speed: float, watchlisted: int = 0) -> tuple[Any, ...]:  # fmt: skip
    district, patrol_area, grid_cell, station, ring, lat, lon = CHECKPOINTS[device]
    record = {
        "event_id": event_id, "event_time": when, "event_ms": ms, "device_id": device, "plate": plate,
        "plate_colour": "blue", "direction": direction, "lane": 1, "speed_kmh": speed,
        "vehicle_class": "car", "confidence": 0.95, "district": district, "patrol_area": patrol_area,
        "grid_cell": grid_cell, "station": station, "ring": ring, "lat": lat, "lon": lon,
        "watchlisted": watchlisted,
    }  # fmt: skip
    return tuple(record[column] for column in PLATE_READ_COLUMNS)


def device_event(event_id: str, when: datetime, family: str, schema: str, device: str, subtype: str,
                 district: str, grid_cell: str, *, site: str = "", token: str = "", zone: str = "",
                 count: int | None = None, watchlisted: int = 0) -> tuple[Any, ...]:  # fmt: skip
    payload = f'{{"schema":"{schema}","count":{count}}}' if count is not None else f'{{"schema":"{schema}"}}'
    record = {
        "event_id": event_id, "family": family, "schema": schema, "event_time": when, "event_ms": 0,
        "device_id": device, "subtype": subtype, "site_id": site, "district": district,
        "patrol_area": "PA-01", "grid_cell": grid_cell, "station": "ST-01", "lat": 39.8, "lon": 110.0,
        "subject_token": token, "plate": "", "zone_id": zone, "watchlisted": watchlisted,
        "payload": payload,
    }  # fmt: skip
    return tuple(record[column] for column in DEVICE_EVENT_COLUMNS)


def alert(alert_id: str, rule: str, severity: str, district: str, first_seen: datetime, *,
          state: str = "open", version: int = 1, escalated: int = 0) -> tuple[Any, ...]:  # fmt: skip
    record = {
        "alert_id": alert_id, "rule": rule, "severity": severity, "subject": "s", "device_id": "d",
        "district": district, "patrol_area": "", "grid_cell": "", "station": "", "summary": rule,
        "evidence_event_ids": ["ev-1"], "first_seen": first_seen, "last_seen": first_seen,
        "raised_at": first_seen, "count": 1, "state": state, "version": version,
        "updated_at": first_seen + timedelta(minutes=version), "escalated": escalated,
        "acknowledged_by": "", "resolved_by": "", "note": "",
    }  # fmt: skip
    return tuple(record[column] for column in ALERT_COLUMNS)


PLATE_READS = [
    plate_read("r01", at(9, 5, 10), 100, "KK-DS-0001", "蒙K8A888", "inbound", 62.5, watchlisted=1),
    plate_read("r02", at(9, 20), 0, "KK-DS-0001", "蒙B12345", "outbound", 48.0),
    plate_read("r03", at(9, 59, 59), 900, "KK-DS-0001", "蒙B22222", "inbound", 71.2),
    plate_read("r04", at(10, 15, 30), 500, "KK-DS-0001", "蒙B12345", "inbound", 55.0),
    plate_read("r05", at(10, 40), 250, "KK-DS-0002", "蒙K8A888", "outbound", 80.4, watchlisted=1),
    plate_read("r06", at(11, 2), 0, "KK-DL-0001", "蒙K8A888", "inbound", 95.1, watchlisted=1),
    plate_read("r07", at(11, 30), 0, "KK-DL-0001", "蒙B33333", "outbound", 101.3),
    plate_read("r08", at(23, 50, day=-1), 0, "KK-DL-0001", "蒙K8A888", "inbound", 60.0, watchlisted=1),
    plate_read("r09", at(0, day=1), 0, "KK-DS-0002", "蒙B12345", "inbound", 50.0),  # at the window's end
]

_KB, _DS, _DL = ("Kangbashi", "GC-0050"), ("Dongsheng", "GC-0003"), ("Dalad", "GC-0040")
_ID_GATE = ("id_gate", "id_verification", "IDG-CS-DS-01-01", "checkpoint_gate")
_COMMUNITY = ("community", "person_access", "COM-DS-0001-PG", "person_gate")
_FACE = ("face_recognition", "face_capture", "FR-DS-0001", "")


def crowd(event_id: str, when: datetime, device: str, count: int,
          place: tuple[str, str] = _KB, zone: str = "SQ-KB-01-Z1") -> tuple[Any, ...]:  # fmt: skip
    return device_event(
        event_id, when, "camera", "crowd_count", device, "fixed", *place, zone=zone, count=count
    )


def heartbeat(event_id: str, when: datetime, device: str) -> tuple[Any, ...]:
    return device_event(event_id, when, "camera", "camera_heartbeat", device, "fixed", *_DL)


DEVICE_EVENTS = [
    crowd("c01", at(9, 10), "CAM-KB-000001", 1200),
    crowd("c02", at(9, 40), "CAM-KB-000001", 3400),
    crowd("c03", at(10, 10), "CAM-KB-000001", 2100),
    crowd("c04", at(10, 30), "CAM-KB-000002", 3900),
    crowd("c05", at(12), "CAM-DS-000010", 800, _DS, "SQ-DS-02-Z1"),
    crowd("c06", at(1, day=1), "CAM-DS-000010", 9999, _DS, "SQ-DS-02-Z1"),
    device_event("s01", at(9, 30), *_ID_GATE, *_DS, site="CS-DS-01", token=TOKEN_A),
    device_event("s02", at(18, 45), *_COMMUNITY, *_DS, site="COM-DS-0001", token=TOKEN_A),
    device_event("s03", at(10), *_FACE, *_DS, token=TOKEN_B, watchlisted=1),
    device_event("s04", at(9, day=-1), *_ID_GATE, *_DS, site="CS-DS-01", token=TOKEN_A),
    # A camera heard from every minute 09:00-10:11 (72 minutes), and one silent all day.
    *(heartbeat(f"h{n:03d}", at(9) + timedelta(minutes=n), "CAM-DL-000001") for n in range(72)),
    heartbeat("h999", at(12, day=-1), "CAM-DL-000002"),
]

ALERTS = [
    alert("al-1", "watchlist.plate", "critical", "Dongsheng", at(9, 5, 10)),
    alert("al-1", "watchlist.plate", "critical", "Dongsheng", at(9, 5, 10), state="acknowledged", version=2),
    alert("al-1", "watchlist.plate", "critical", "Dongsheng", at(9, 5, 10), state="resolved", version=3),
    alert("al-2", "watchlist.plate", "critical", "Dalad", at(11, 2), escalated=1),
    alert("al-3", "id_gate.face_mismatch", "high", "Dongsheng", at(9, 30)),
    alert("al-4", "device.offline", "medium", "Dalad", at(3, day=1)),
    alert("al-5", "crowd.density", "low", "Kangbashi", at(10, 30)),
    alert("al-6", "device.video_loss", "medium", "", at(5, day=1)),
    alert("al-7", "watchlist.plate", "critical", "Dalad", at(23, 50, day=-1)),
]

SAMPLE = {"plate_reads": PLATE_READS, "device_events": DEVICE_EVENTS, "alerts": ALERTS}
COLUMNS = {"plate_reads": PLATE_READ_COLUMNS, "device_events": DEVICE_EVENT_COLUMNS, "alerts": ALERT_COLUMNS}


@dataclass(frozen=True)
class Case:
    """One saved query with its values as typed, and its result as CSV: the header, then the rows."""

    id: str
    query: str
    raw: dict[str, str]
    expected: list[list[str]]


_TRAJECTORY_HEAD = ["event_time", "device_id", "station", "ring", "district", "patrol_area", "grid_cell",
                    "direction", "lat", "lon", "watchlisted"]  # fmt: skip
_CHECKPOINTS_HEAD = ["device_id", "station", "ring", "district", "reads", "watchlisted_reads",
                     "busiest_hour_reads", "max_speed_kmh", "active_hours"]  # fmt: skip
_ALERTS_HEAD = ["day", "district", "alerts", "critical", "high", "medium", "low", "unresolved", "escalated"]
_CROWD_HEAD = ["zone_id", "district", "grid_cell", "peak_count", "peak_at", "device_id", "readings"]
_SUBJECT_HEAD = ["event_time", "family", "schema", "subtype", "device_id", "site_id", "district",
                 "grid_cell", "watchlisted"]  # fmt: skip
_UPTIME_HEAD = ["family", "device_id", "district", "active_minutes", "window_minutes", "uptime_pct",
                "events", "last_seen"]  # fmt: skip

CASES = [
    Case("checkpoints", "busiest-checkpoints", WINDOW, [
        _CHECKPOINTS_HEAD,
        ["KK-DS-0001", "ST-01", "core", "Dongsheng", "4", "1", "3", "71.2", "2"],
        ["KK-DL-0001", "ST-06", "city", "Dalad", "2", "1", "2", "101.3", "1"],
        ["KK-DS-0002", "ST-01", "banner", "Dongsheng", "1", "1", "1", "80.4", "1"],
    ]),
    Case("checkpoints-filtered", "busiest-checkpoints",
         {**WINDOW, "district": "Dongsheng", "ring": "banner", "limit": "5"}, [
        _CHECKPOINTS_HEAD,
        ["KK-DS-0002", "ST-01", "banner", "Dongsheng", "1", "1", "1", "80.4", "1"],
    ]),
    Case("checkpoints-partial-hours", "busiest-checkpoints",
         {"start": "2026-11-20T10:30", "end": "2026-11-20T11:00", "limit": "1"}, [
        _CHECKPOINTS_HEAD,
        ["KK-DS-0001", "ST-01", "core", "Dongsheng", "1", "0", "1", "55", "1"],
    ]),
    Case("trajectory", "plate-trajectory", {**WINDOW, "plate": "蒙k 8a-888"}, [
        _TRAJECTORY_HEAD,
        ["2026-11-20 09:05:10", "KK-DS-0001", "ST-01", "core", "Dongsheng", "PA-01", "GC-0001", "inbound",
         "39.81", "109.97", "1"],
        ["2026-11-20 10:40:00", "KK-DS-0002", "ST-01", "banner", "Dongsheng", "PA-02", "GC-0002", "outbound",
         "39.85", "109.9", "1"],
        ["2026-11-20 11:02:00", "KK-DL-0001", "ST-06", "city", "Dalad", "PA-08", "GC-0038", "inbound",
         "40.07669", "110.27939", "1"],
    ]),
    Case("trajectory-unknown-plate", "plate-trajectory", {**WINDOW, "plate": "蒙A00000"}, [_TRAJECTORY_HEAD]),
    Case("alerts", "alerts-by-district", {"start": "2026-11-20", "end": "2026-11-22"}, [
        _ALERTS_HEAD,
        ["2026-11-20", "Dongsheng", "2", "1", "1", "0", "0", "1", "0"],
        ["2026-11-20", "Dalad", "1", "1", "0", "0", "0", "1", "1"],
        ["2026-11-20", "Kangbashi", "1", "0", "0", "0", "1", "1", "0"],
        ["2026-11-21", "", "1", "0", "0", "1", "0", "1", "0"],
        ["2026-11-21", "Dalad", "1", "0", "0", "1", "0", "1", "0"],
    ]),
    Case("alerts-high", "alerts-by-district",
         {"start": "2026-11-20", "end": "2026-11-22", "severity": "HIGH"}, [
        _ALERTS_HEAD,
        ["2026-11-20", "Dongsheng", "2", "1", "1", "0", "0", "1", "0"],
        ["2026-11-20", "Dalad", "1", "1", "0", "0", "0", "1", "1"],
    ]),
    Case("alerts-rule", "alerts-by-district",
         {"start": "2026-11-19", "end": "2026-11-22", "rule": "watchlist.plate", "district": "Dalad"}, [
        _ALERTS_HEAD,
        ["2026-11-19", "Dalad", "1", "1", "0", "0", "0", "1", "0"],
        ["2026-11-20", "Dalad", "1", "1", "0", "0", "0", "1", "1"],
    ]),
    Case("uptime-cameras", "device-uptime", {**WINDOW, "family": "camera"}, [
        _UPTIME_HEAD,
        ["camera", "CAM-DL-000002", "Dalad", "0", "1440", "0", "0", "2026-11-19 12:00:00"],
        ["camera", "CAM-DS-000010", "Dongsheng", "1", "1440", "0.1", "1", "2026-11-21 01:00:00"],
        ["camera", "CAM-KB-000002", "Kangbashi", "1", "1440", "0.1", "1", "2026-11-20 10:30:00"],
        ["camera", "CAM-KB-000001", "Kangbashi", "3", "1440", "0.2", "3", "2026-11-20 10:10:00"],
        ["camera", "CAM-DL-000001", "Dalad", "72", "1440", "5", "72", "2026-11-20 10:11:00"],
    ]),
    Case("uptime-checkpoints-hours", "device-uptime",
         {"start": "2026-11-20T09:30", "end": "2026-11-20T10:20", "family": "vehicle_checkpoint"}, [
        _UPTIME_HEAD,  # the hours 09:00 and 10:00: 120 minutes
        ["vehicle_checkpoint", "KK-DL-0001", "Dalad", "0", "120", "0", "0", "2026-11-20 11:30:00"],
        ["vehicle_checkpoint", "KK-DS-0002", "Dongsheng", "1", "120", "0.8", "1", "2026-11-21 00:00:00"],
        ["vehicle_checkpoint", "KK-DS-0001", "Dongsheng", "4", "120", "3.3", "4", "2026-11-20 10:15:30"],
    ]),
    Case("crowd", "crowd-peaks", WINDOW, [
        _CROWD_HEAD,
        ["SQ-KB-01-Z1", "Kangbashi", "GC-0050", "3900", "2026-11-20 10:30:00", "CAM-KB-000002", "4"],
        ["SQ-DS-02-Z1", "Dongsheng", "GC-0003", "800", "2026-11-20 12:00:00", "CAM-DS-000010", "1"],
    ]),
    Case("crowd-zone", "crowd-peaks",
         {"start": "2026-11-20T09:00", "end": "2026-11-20T10:00", "zone": "SQ-KB-01-Z1"}, [
        _CROWD_HEAD,
        ["SQ-KB-01-Z1", "Kangbashi", "GC-0050", "3400", "2026-11-20 09:40:00", "CAM-KB-000001", "2"],
    ]),
    Case("volume", "family-volume", WINDOW, [
        ["hour", "family", "events", "watchlisted", "devices"],
        ["2026-11-20 09:00:00", "camera", "62", "0", "2"],
        ["2026-11-20 09:00:00", "id_gate", "1", "0", "1"],
        ["2026-11-20 09:00:00", "vehicle_checkpoint", "3", "1", "1"],
        ["2026-11-20 10:00:00", "camera", "14", "0", "3"],
        ["2026-11-20 10:00:00", "face_recognition", "1", "1", "1"],
        ["2026-11-20 10:00:00", "vehicle_checkpoint", "2", "1", "2"],
        ["2026-11-20 11:00:00", "vehicle_checkpoint", "2", "1", "1"],
        ["2026-11-20 12:00:00", "camera", "1", "0", "1"],
        ["2026-11-20 18:00:00", "community", "1", "0", "1"],
    ]),
    Case("volume-family", "family-volume", {**WINDOW, "family": "vehicle_checkpoint", "limit": "2"}, [
        ["hour", "family", "events", "watchlisted", "devices"],
        ["2026-11-20 09:00:00", "vehicle_checkpoint", "3", "1", "1"],
        ["2026-11-20 10:00:00", "vehicle_checkpoint", "2", "1", "2"],
    ]),
    Case("subject", "subject-events", {**WINDOW, "token": TOKEN_A.upper().replace("PT_", "pt_")}, [
        _SUBJECT_HEAD,
        ["2026-11-20 09:30:00", "id_gate", "id_verification", "checkpoint_gate", "IDG-CS-DS-01-01",
         "CS-DS-01", "Dongsheng", "GC-0003", "0"],
        ["2026-11-20 18:45:00", "community", "person_access", "person_gate", "COM-DS-0001-PG",
         "COM-DS-0001", "Dongsheng", "GC-0003", "0"],
    ]),
]  # fmt: skip


def test_every_saved_query_has_a_case() -> None:
    assert {case.query for case in CASES} == set(SAVED_QUERIES.names())


class _UtcContext:
    class server_info:  # noqa: N801 - the attribute the driver's escaping reads
        @staticmethod
        def get_timezone() -> str:
            return "UTC"


def insert_sql(table: str, rows: list[tuple[Any, ...]]) -> str:
    """An INSERT with the values escaped by clickhouse-driver, for engines without its native protocol."""
    values = ", ".join(
        "(" + ", ".join(str(escape_param(v, _UtcContext())) for v in row) + ")" for row in rows
    )
    return f"INSERT INTO {table} ({', '.join(COLUMNS[table])}) VALUES {values}"


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    session_module = pytest.importorskip("chdb.session")
    session = session_module.Session(str(Path(tmp_path_factory.mktemp("chdb"))))
    session.query("CREATE DATABASE IF NOT EXISTS analysts")
    session.query("USE analysts")
    dialect = ServerDialect.from_version(str(session.query("SELECT version()", "CSV")).strip().strip('"'))
    for migration in load_migrations():
        for statement in migration.statements(dialect):
            session.query(statement)
    for _replay in range(2):
        for table, rows in SAMPLE.items():
            session.query(insert_sql(table, rows))
    yield session
    session.close()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_saved_query_on_chdb(engine: Any, case: Case) -> None:
    saved = SAVED_QUERIES.get(case.query)
    sql = saved.render(saved.bind(case.raw, NOW))
    assert csv_rows(str(engine.query(sql, "CSVWithNames"))) == case.expected


def test_the_replayed_sample_is_read_once(engine: Any) -> None:
    stored = str(engine.query("SELECT count() FROM plate_reads", "CSV")).strip()
    deduplicated = str(engine.query("SELECT count() FROM plate_reads_by_plate_dedup", "CSV")).strip()
    # Two copies of each read until a background merge collapses them; the view shows one either way.
    assert deduplicated == str(len(PLATE_READS)) and stored in (
        str(len(PLATE_READS)),
        str(2 * len(PLATE_READS)),
    )


def guide_sql() -> list[str]:
    """The SQL examples of docs/analysts.md, the ```sql blocks."""
    return re.findall(r"```sql\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_guide_has_sql_examples() -> None:
    assert len(guide_sql()) >= 8


@pytest.mark.parametrize("sql", guide_sql(), ids=[f"example-{n}" for n in range(1, len(guide_sql()) + 1)])
def test_every_sql_example_of_the_guide_runs(engine: Any, sql: str) -> None:
    engine.query(sql, "CSVWithNames")


def test_the_guide_s_two_checkpoints_example_finds_the_wanted_plate(engine: Any) -> None:
    (example,) = [sql for sql in guide_sql() if "HAVING uniqExact(device_id) = 2" in sql]
    rows = csv_rows(str(engine.query(example, "CSVWithNames")))
    assert rows[1][0] == "蒙K8A888" and len(rows) == 2
