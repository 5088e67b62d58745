"""``warmcity bench storage``: how much disk the stored tables take per event, with and without codecs.

The city mix is generated and run through the stages (``pipeline/bench/work.py``) to the ClickHouse rows
the sink would insert. The rows go into two databases of an in-process ClickHouse (chDB, a current
release): one migrated with every migration, one without the migrations that only set column codecs
(``-- requires: codecs``, 0007), that is with ClickHouse's default LZ4 everywhere. The materialized views
fill the analyst tables from the same inserts. Each table is merged to one part per partition
(``OPTIMIZE ... FINAL``) and stored in the wide format, so that ``system.columns`` reports the
compressed bytes of every column; the figures are those bytes.

18.16, the local stack's server, has no codecs: what it stores is the first database's figure.
"""

from __future__ import annotations

import importlib
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.errors import WarmcityError
from pipeline.settings import Settings
from pipeline.stages.rows import DEVICE_EVENT_COLUMNS, PLATE_READ_COLUMNS
from pipeline.storage.dialect import ServerDialect, requirements
from pipeline.storage.migrate import Migration, load_migrations

EVENT_TABLES = {"plate_reads": PLATE_READ_COLUMNS, "device_events": DEVICE_EVENT_COLUMNS}
"""The tables the sink inserts events into, and their columns in row order."""

CODEC_FEATURE = "codecs"


class StorageBenchError(WarmcityError):
    """chDB missing, or a migration that mixes codec statements with others."""


@dataclass(frozen=True)
class ColumnSize:
    table: str
    column: str
    uncompressed: int
    default_lz4: int
    migrated: int
    codec: str


@dataclass(frozen=True)
class StorageResult:
    events: int
    rows: dict[str, int]
    server_version: str
    columns: tuple[ColumnSize, ...]

    def tables(self) -> dict[str, tuple[int, int, int]]:
        """Per table: uncompressed, default-LZ4 and migrated bytes."""
        totals: dict[str, list[int]] = {}
        for size in self.columns:
            entry = totals.setdefault(size.table, [0, 0, 0])
            entry[0] += size.uncompressed
            entry[1] += size.default_lz4
            entry[2] += size.migrated
        return {table: (a, b, c) for table, (a, b, c) in sorted(totals.items()) if a}

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "rows": self.rows,
            "server_version": self.server_version,
            "tables": {
                table: {"uncompressed": a, "default_lz4": b, "migrated": c}
                for table, (a, b, c) in self.tables().items()
            },
            "columns": [size.__dict__ for size in self.columns if size.uncompressed],
        }


def codec_only(migration: Migration) -> bool:
    """Whether every statement of ``migration`` is guarded by ``-- requires: codecs``."""
    chunks = [c for c in re.split(r";[ \t]*$", migration.sql, flags=re.MULTILINE) if _has_sql(c)]
    guarded = [CODEC_FEATURE in requirements(chunk) for chunk in chunks]
    if any(guarded) and not all(guarded):
        raise StorageBenchError(
            f"migration {migration.version:04d}_{migration.name} mixes codec statements with others: "
            "the storage benchmark cannot leave its codecs out alone"
        )
    return bool(guarded) and all(guarded)


def _has_sql(chunk: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in chunk.splitlines())


def event_rows(settings: Settings, events: int, seed: int) -> dict[str, list[tuple[Any, ...]]]:
    """The sink's rows for ``events`` events of the city mix, by table."""
    from pipeline.bench.stages import city_workload

    work, by_family, _ = city_workload(settings, events, "off", 100.0, seed, 1_000)
    rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in EVENT_TABLES}
    now = datetime.now(UTC)
    batch = settings.pipeline.process_batch
    for family, raws in by_family.items():
        for first in range(0, len(raws), batch):
            out = work.process(raws[first : first + batch], family, now)
            for table, produced in out.rows.items():
                if table in rows:
                    rows[table].extend(produced)
    return rows


def tsv_line(row: Sequence[Any]) -> str:
    """One row in ClickHouse's TabSeparated format (``\\``, tab and newline escaped)."""
    return "\t".join(_tsv_value(value) for value in row) + "\n"


def _tsv_value(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def measure_storage(
    rows: dict[str, list[tuple[Any, ...]]], events: int, migrations: Iterable[Migration] | None = None
) -> StorageResult:
    """Store ``rows`` twice in chDB (default LZ4, then as migrated) and read the columns' sizes."""
    try:
        chdb_session: Any = importlib.import_module("chdb.session")
    except ImportError as exc:
        raise StorageBenchError(
            "warmcity bench storage needs chDB, a development dependency: pip install -e '.[dev]'"
        ) from exc
    chosen = list(load_migrations() if migrations is None else migrations)
    with tempfile.TemporaryDirectory(prefix="warmcity-bench-storage-") as folder:
        session = chdb_session.Session(str(Path(folder) / "chdb"))
        try:
            version = _rows(session, "SELECT version()")[0][0]
            dialect = ServerDialect.from_version(version)
            files = {}
            for table, table_rows in rows.items():
                path = Path(folder) / f"{table}.tsv"
                with path.open("w", encoding="utf-8") as out:
                    out.writelines(tsv_line(row) for row in table_rows)
                files[table] = path
            plain = [m for m in chosen if not codec_only(m)]
            default = _store(session, "lz4_only", plain, dialect, files)
            migrated = _store(session, "migrated", chosen, dialect, files)
        finally:
            session.close()
    columns = tuple(
        ColumnSize(table, column, raw, default[(table, column)][1], size, codec)
        for (table, column), (raw, size, codec) in sorted(migrated.items())
        if (table, column) in default
    )
    return StorageResult(events, {t: len(r) for t, r in rows.items()}, dialect.version_text, columns)


def _rows(session: Any, sql: str) -> list[list[str]]:
    text = session.query(sql, "TabSeparated").bytes().decode("utf-8")
    return [line.split("\t") for line in text.splitlines()]


def _store(
    session: Any, database: str, migrations: list[Migration], dialect: ServerDialect, files: dict[str, Path]
) -> dict[tuple[str, str], tuple[int, int, str]]:
    session.query(f"CREATE DATABASE {database}")
    session.query(f"USE {database}")
    for migration in migrations:
        for statement in migration.statements(dialect):
            session.query(statement)
    stored = [r[0] for r in _rows(session, f"SELECT name FROM system.tables WHERE database = '{database}' "
                                           "AND engine LIKE '%MergeTree'")]  # fmt: skip
    for table in stored:  # wide parts: system.columns has per-column sizes only for those
        session.query(f"ALTER TABLE {table} MODIFY SETTING min_bytes_for_wide_part = 0")
    for table, path in files.items():
        columns = ", ".join(EVENT_TABLES[table])
        session.query(f"INSERT INTO {table} ({columns}) SELECT * FROM file('{path}', 'TabSeparated')")
    for table in stored:
        session.query(f"OPTIMIZE TABLE {table} FINAL")
    found = _rows(
        session,
        "SELECT table, name, data_uncompressed_bytes, data_compressed_bytes, compression_codec "
        f"FROM system.columns WHERE database = '{database}' ORDER BY table, name",
    )
    return {(t, c): (int(raw), int(size), codec) for t, c, raw, size, codec in found}
