"""Cluster mode of the migrations: the same files rendered for shards and replicas of one ClickHouse cluster.

``ServerDialect.render`` (``pipeline/storage/dialect.py``) first resolves the version markers; with a
``ClusterMode`` it then rewrites each statement here. Single-server rendering never comes through this
module, so it stays exactly what it was.

The layout, for a cluster ``C`` of ``remote_servers`` and the database ``D``:

``CREATE TABLE t (...) ENGINE = XMergeTree(p...)``
    becomes two tables on every node (``ON CLUSTER C``): ``D.t_local``, engine ``ReplicatedXMergeTree(
    '/clickhouse/tables/{shard}/{database}/{table}', '{replica}', p...)`` with the columns, partition and
    sorting key of the file (a ``ReplacingMergeTree(version)`` keeps its version column, an
    ``AggregatingMergeTree`` its states), and ``D.t``, ``Distributed(C, D, t_local, <sharding key>)``.
    The Distributed table takes the file's name, so the sink inserts and analysts read the names they
    always did. The ZooKeeper path comes from the macros: ``{shard}`` and ``{replica}`` from each server's
    ``<macros>``, ``{database}`` and ``{table}`` expanded by the server (18.16 does it too).
``CREATE MATERIALIZED VIEW m TO t AS SELECT ... FROM s``
    ``m`` on every node, reading ``D.s_local`` into ``D.t_local``: each shard feeds its own tables from
    the rows it stores, so the views work per shard and nothing crosses the network.
``CREATE VIEW v AS SELECT ... FROM t ...``
    ``v`` on every node, reading ``D.t``, the Distributed table: a ``FINAL`` there is sent to every shard
    and applied to that shard's part; ``-Merge`` aggregates merge the states of all shards.
``INSERT INTO t SELECT ... FROM s`` (the backfills)
    through the Distributed tables, with ``insert_distributed_sync`` (the runner sets it), so each row
    lands where the sharding key puts it.
``ALTER TABLE t ...``
    on ``D.t_local``, ``ON CLUSTER C``.
``DROP TABLE t``
    ``D.t`` and then ``D.t_local`` (if it exists), ``ON CLUSTER C``.

Every name is qualified with ``D``: a statement ``ON CLUSTER`` runs on the other nodes in their default
database, where an unqualified ``FROM t`` would not be found (what 18.16 answers: ``Table default.t
doesn't exist``).

Sharding keys (``sharding_key``): ``cityHash64(event_id)`` for every table with an ``event_id`` column,
``cityHash64(alert_id)`` for one with ``alert_id``, otherwise a hash of the sorting key. Why: FINAL only
collapses the copies of a row that are on one shard. The copies of one event (replays) have one
``event_id``, so they hash to one shard, and the tables fed from an event table by materialized views use
the same function of the same column, so a backfill through Distributed puts a row on the shard where the
view would have put a later copy of it. Versions of one alert share ``alert_id``. The aggregate tables
(no id) are written by the views on each shard and read with ``-Merge`` over all shards, which is exact
wherever a state lies; their key only places the backfill's rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from pipeline.errors import WarmcityError

LOCAL_SUFFIX: Final = "_local"
REPLICA_PATH: Final = "/clickhouse/tables/{shard}/{database}/{table}"
REPLICA_NAME: Final = "{replica}"
# The migrations ledger is one replica set spanning every node ('all' where a table has its shard), so
# any node the runner connects to knows what was applied; its replica names must be unique cluster-wide.
LEDGER_PATH: Final = "/clickhouse/tables/all/{database}/{table}"
LEDGER_REPLICA: Final = "{shard}-{replica}"

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_PLAIN = re.compile(rf"^{_IDENT}$")
_CREATE_TABLE = re.compile(rf"^CREATE\s+TABLE\s+(?P<ine>IF\s+NOT\s+EXISTS\s+)?(?P<name>{_IDENT})\s*\(", re.I)
_CREATE_VIEW = re.compile(rf"^CREATE\s+VIEW\s+(?P<ine>IF\s+NOT\s+EXISTS\s+)?(?P<name>{_IDENT})\s+AS\s", re.I)
_CREATE_MV = re.compile(
    rf"^CREATE\s+MATERIALIZED\s+VIEW\s+(?P<ine>IF\s+NOT\s+EXISTS\s+)?(?P<name>{_IDENT})\s+"
    rf"TO\s+(?P<target>{_IDENT})\s+AS\s",
    re.I,
)
_INSERT = re.compile(rf"^INSERT\s+INTO\s+(?P<name>{_IDENT})\b", re.I)
_ALTER = re.compile(rf"^ALTER\s+TABLE\s+(?P<name>{_IDENT})\s", re.I)
_DROP = re.compile(rf"^DROP\s+TABLE\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{_IDENT})\s*$", re.I)
_ENGINE = re.compile(r"\bENGINE\s*=\s*(?P<engine>[A-Za-z]+)\s*(?:\((?P<args>(?:[^()]|\([^()]*\))*)\))?", re.I)
_ORDER_BY = re.compile(r"\bORDER\s+BY\s+(?P<key>\((?:[^()]|\([^()]*\))*\)|\S+)", re.I)
# A table after FROM or JOIN: not a subquery '(' and not already qualified 'db.t'.
_SOURCE = re.compile(rf"\b(?P<keyword>FROM|JOIN)(?P<space>\s+)(?P<name>{_IDENT})\b(?!\s*[.(])", re.I)


class ClusterError(WarmcityError):
    """A statement cluster mode has no rendering for, or a cluster or database name it cannot use."""


@dataclass(frozen=True)
class ClusterMode:
    """Render for the cluster ``name`` of the servers' ``remote_servers``, into ``database``."""

    name: str
    database: str

    def __post_init__(self) -> None:
        if not _PLAIN.match(self.name):
            raise ClusterError(f"cluster name {self.name!r} is not a plain identifier (letters, digits, _)")
        if not _PLAIN.match(self.database):
            raise ClusterError(f"database name {self.database!r} is not a plain identifier")

    @property
    def on_cluster(self) -> str:
        return f"ON CLUSTER {self.name}"

    def qualified(self, table: str) -> str:
        return f"{self.database}.{table}"

    def rewrite(self, statement: str) -> list[str]:
        """The cluster statements of one migration statement (comments removed, no trailing ';')."""
        text = statement.strip()
        if match := _CREATE_TABLE.match(text):
            return self._create_table(match, text)
        if match := _CREATE_MV.match(text):
            ine = "IF NOT EXISTS " if match["ine"] else ""
            select = self._sources(text[match.end() :], local=True)
            target = self.qualified(match["target"] + LOCAL_SUFFIX)
            name = self.qualified(match["name"])
            head = f"CREATE MATERIALIZED VIEW {ine}{name} {self.on_cluster} TO {target} AS"
            return [f"{head}\n{select.lstrip()}"]
        if match := _CREATE_VIEW.match(text):
            ine = "IF NOT EXISTS " if match["ine"] else ""
            select = self._sources(text[match.end() :], local=False)
            name = self.qualified(match["name"])
            return [f"CREATE VIEW {ine}{name} {self.on_cluster} AS {select.lstrip()}"]
        if match := _INSERT.match(text):
            rest = self._sources(text[match.end() :], local=False)
            return [f"INSERT INTO {self.qualified(match['name'])}{rest}"]
        if match := _ALTER.match(text):
            table = self.qualified(match["name"] + LOCAL_SUFFIX)
            return [f"ALTER TABLE {table} {self.on_cluster} {text[match.end() :].lstrip()}"]
        if match := _DROP.match(text):
            ie = "IF EXISTS " if match["ie"] else ""
            return [
                f"DROP TABLE {ie}{self.qualified(match['name'])} {self.on_cluster}",
                f"DROP TABLE IF EXISTS {self.qualified(match['name'] + LOCAL_SUFFIX)} {self.on_cluster}",
            ]
        raise ClusterError(
            "cluster mode renders CREATE TABLE, CREATE [MATERIALIZED] VIEW ... TO, INSERT INTO ... SELECT, "
            f"ALTER TABLE and DROP TABLE, not: {_first_line(text)!r}"
        )

    def create_database(self) -> str:
        return f"CREATE DATABASE IF NOT EXISTS {self.database} {self.on_cluster}"

    def _create_table(self, match: re.Match[str], text: str) -> list[str]:
        name = match["name"]
        if name.endswith(LOCAL_SUFFIX):
            raise ClusterError(f"table {name}: names ending in {LOCAL_SUFFIX} are cluster mode's own")
        open_at = match.end() - 1
        close_at = _matching(text, open_at)
        columns = text[open_at + 1 : close_at]
        tail = text[close_at + 1 :]
        engine = _ENGINE.search(tail)
        if engine is None:
            raise ClusterError(f"table {name}: no ENGINE = ...MergeTree(...) to replicate")
        kind = engine["engine"]
        if not kind.endswith("MergeTree") or kind.startswith("Replicated"):
            raise ClusterError(f"table {name}: engine {kind} has no replicated counterpart in cluster mode")
        params = [f"'{REPLICA_PATH}'", f"'{REPLICA_NAME}'"]
        if engine["args"] and engine["args"].strip():
            params.append(engine["args"].strip())
        replicated = f"ENGINE = Replicated{kind}({', '.join(params)})"
        tail = tail[: engine.start()] + replicated + tail[engine.end() :]
        ine = "IF NOT EXISTS " if match["ine"] else ""
        local = self.qualified(name + LOCAL_SUFFIX)
        key = sharding_key(column_names(columns), tail)
        return [
            f"CREATE TABLE {ine}{local} {self.on_cluster}\n({columns}){tail}",
            f"CREATE TABLE {ine}{self.qualified(name)} {self.on_cluster} AS {local}\n"
            f"ENGINE = Distributed({self.name}, {self.database}, {name}{LOCAL_SUFFIX}, {key})",
        ]

    def _sources(self, sql: str, local: bool) -> str:
        suffix = LOCAL_SUFFIX if local else ""

        def qualify(source: re.Match[str]) -> str:
            table = self.qualified(source["name"] + suffix)
            return f"{source['keyword']}{source['space']}{table}"

        return _SOURCE.sub(qualify, sql)


def column_names(columns: str) -> list[str]:
    """The names of a CREATE TABLE's column list (the first word of each top-level item)."""
    names = []
    for item in _top_level_split(columns):
        word = re.match(rf"\s*`?({_IDENT})`?", item)
        if word is not None and word.group(1).upper() not in {"INDEX", "CONSTRAINT", "PROJECTION"}:
            names.append(word.group(1))
    return names


def sharding_key(columns: list[str], tail: str) -> str:
    """The Distributed table's sharding key for a table of ``columns`` (module docstring: why)."""
    for identity in ("event_id", "alert_id"):
        if identity in columns:
            return f"cityHash64({identity})"
    order = _ORDER_BY.search(tail)
    if order is None:
        raise ClusterError("a table without event_id or alert_id needs an ORDER BY to shard by")
    key = order["key"]
    inner = key[1:-1] if key.startswith("(") else key
    if not inner.strip() or re.fullmatch(r"tuple\(\s*\)", key.strip()):
        raise ClusterError("a table without event_id or alert_id needs a sorting key to shard by")
    return f"cityHash64({inner.strip()})"


def _matching(text: str, open_at: int) -> int:
    depth = 0
    quoted = False
    for position in range(open_at, len(text)):
        char = text[position]
        if char == "'" and text[position - 1] != "\\":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth == 0:
                return position
    raise ClusterError(f"unbalanced parentheses in {_first_line(text)!r}")


def _top_level_split(text: str) -> list[str]:
    items, depth, start = [], 0, 0
    for position, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:position])
            start = position + 1
    items.append(text[start:])
    return [item for item in items if item.strip()]


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:80] if text.strip() else ""
