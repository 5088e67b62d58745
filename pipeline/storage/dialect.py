"""What the connected ClickHouse server accepts, and the migrations' SQL rendered for it.

The project runs on Debian's ClickHouse 18.16 (the local stack) and on current releases (chDB 26.x in the
tests, any server an operator brings). Migrations are written once, for both, with three markers that
``ServerDialect.render`` resolves for one server version:

``/*LC*/String``
    ``LowCardinality(String)`` where LowCardinality is production ready (19.3 on), plain ``String``
    before (18.16 has it only behind ``allow_experimental_low_cardinality_type``, which 26.x rejects as an
    unknown setting). Any type name may follow the marker, with one level of parentheses:
    ``/*LC*/FixedString(2)``.
``/*CODEC(ZSTD(3))*/``
    ``CODEC(ZSTD(3))`` where column codecs exist (19.1 on), nothing before.
``-- requires: ttl`` (on its own line, before a statement)
    the statement is kept only where the server has every named feature; ``-- requires: ttl, rbac``
    names several. It is dropped, not failed, elsewhere: a migration guarded this way is recorded as
    applied on 18.16 with nothing done, so a server upgraded later does not get it retroactively (add a
    migration that repeats the statement, or apply it by hand).

Feature versions, from ClickHouse's changelogs: codecs 19.1.6, LowCardinality without the experimental
setting 19.3.3 ("production ready"), TTL for tables and columns 19.6.2. SQL users, roles and grants (RBAC):
20.5, the project's working assumption; no changelog entry was found to confirm the exact release.

A dialect may also carry a cluster (``ServerDialect.for_cluster``): ``render`` then rewrites every statement
for shards and replicas, ``ON CLUSTER`` with replicated tables behind Distributed ones
(``pipeline/storage/cluster.py``). Without one, nothing of that runs and the rendering is the single server's.

This module is pure: it parses a version string and rewrites text. Asking the server for ``version()``
and executing statements is the caller's job (``pipeline/storage/migrate.py``). The checksum of a
migration stays that of its file text, so one file has one checksum whatever server it was rendered for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Final

from pipeline.errors import WarmcityError
from pipeline.storage.cluster import ClusterError, ClusterMode

FEATURES: Final[dict[str, tuple[int, int]]] = {
    "codecs": (19, 1),
    "low_cardinality": (19, 3),
    "ttl": (19, 6),
    "rbac": (20, 5),
}
"""Each feature the markers can name, and the first ``(major, minor)`` release that has it."""

_VERSION = re.compile(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?(?:\.(\d+))?")
# Same splitting rule as the migrations runner: a statement ends with ';' at the end of a line.
_STATEMENT_END = re.compile(r";[ \t]*$", re.MULTILINE)
_REQUIRES = re.compile(r"^--\s*requires\s*:(.*)$", re.IGNORECASE)
_LC = re.compile(r"/\*\s*LC\s*\*/\s*([A-Za-z][A-Za-z0-9_]*(?:\([^()]*\))?)?")
_CODEC = re.compile(r"[ \t]*/\*\s*(CODEC\s*\((?:[^()]|\([^()]*\))*\))\s*\*/")


class DialectError(WarmcityError):
    """A version string that is not ClickHouse's, or a marker that cannot be rendered."""


@dataclass(frozen=True)
class ServerDialect:
    """The features of one ClickHouse version; build it with ``from_version(SELECT version())``.

    ``cluster``: render for that cluster (``for_cluster``); None, the default, renders for one server.
    """

    version: tuple[int, int, int, int]
    cluster: ClusterMode | None = None

    @classmethod
    def from_version(cls, text: str) -> ServerDialect:
        """Parse what ``SELECT version()`` returns: ``18.16.1``, ``26.9.2.1``, ``24.3.1.2672-lts``."""
        match = _VERSION.match(text)
        if match is None:
            raise DialectError(
                f"server version {text!r} is not a ClickHouse version (expected numbers like 18.16.1)"
            )
        major, minor, patch, build = (int(part) if part else 0 for part in match.groups())
        return cls((major, minor, patch, build))

    def for_cluster(self, cluster: str, database: str) -> ServerDialect:
        """This dialect rendering ``ON CLUSTER cluster`` into ``database`` (pipeline/storage/cluster.py)."""
        try:
            return replace(self, cluster=ClusterMode(cluster, database))
        except ClusterError as exc:
            raise DialectError(str(exc)) from exc

    @property
    def version_text(self) -> str:
        parts = self.version if self.version[3] else self.version[:3]
        return ".".join(str(part) for part in parts)

    def supports(self, feature: str) -> bool:
        try:
            first = FEATURES[feature]
        except KeyError:
            known = ", ".join(sorted(FEATURES))
            raise DialectError(f"unknown ClickHouse feature {feature!r} (known: {known})") from None
        return self.version[:2] >= first

    @property
    def low_cardinality(self) -> bool:
        return self.supports("low_cardinality")

    @property
    def ttl(self) -> bool:
        return self.supports("ttl")

    @property
    def codecs(self) -> bool:
        return self.supports("codecs")

    @property
    def rbac(self) -> bool:
        return self.supports("rbac")

    def render(self, sql: str) -> str:
        """``sql`` for this server: guarded statements it cannot run dropped, markers resolved."""
        kept = [chunk for chunk in _STATEMENT_END.split(sql) if self._keeps(chunk)]
        rendered = self._resolve_markers(";\n".join(kept))
        if self.cluster is None:
            return rendered
        try:
            chunks = _without_comments(rendered)
            return ";\n".join(out for chunk in chunks for out in self.cluster.rewrite(chunk))
        except ClusterError as exc:
            raise DialectError(str(exc)) from exc

    def dropped(self, sql: str) -> list[tuple[str, ...]]:
        """For each statement ``render`` drops, the features it requires that this server lacks."""
        missing = []
        for chunk in _STATEMENT_END.split(sql):
            absent = tuple(f for f in requirements(chunk) if not self.supports(f))
            if absent:
                missing.append(absent)
        return missing

    def _keeps(self, chunk: str) -> bool:
        return all(self.supports(feature) for feature in requirements(chunk))

    def _resolve_markers(self, sql: str) -> str:
        def low_cardinality(match: re.Match[str]) -> str:
            inner = match.group(1)
            if inner is None:
                raise DialectError(f"/*LC*/ must be followed by a type name: {_around(sql, match.start())!r}")
            return f"LowCardinality({inner})" if self.low_cardinality else inner

        def codec(match: re.Match[str]) -> str:
            return f" {match.group(1)}" if self.codecs else ""

        return _CODEC.sub(codec, _LC.sub(low_cardinality, sql))


def requirements(chunk: str) -> list[str]:
    """The features named by ``-- requires:`` lines heading one statement (comments and blank lines)."""
    features: list[str] = []
    seen_sql = False
    for line in chunk.splitlines():
        stripped = line.strip()
        match = _REQUIRES.match(stripped)
        if match is not None:
            if seen_sql:
                raise DialectError(f"'{stripped}' must come before its statement, not inside it")
            names = [name.strip() for name in match.group(1).split(",")]
            if not all(names):
                raise DialectError(f"'{stripped}' names no feature (known: {', '.join(sorted(FEATURES))})")
            features.extend(names)
        elif stripped and not stripped.startswith("--"):
            seen_sql = True
    if features and not seen_sql:
        raise DialectError(f"'-- requires: {', '.join(features)}' is followed by no statement")
    for name in features:
        if name not in FEATURES:
            raise DialectError(f"unknown ClickHouse feature {name!r} (known: {', '.join(sorted(FEATURES))})")
    return features


def _without_comments(sql: str) -> list[str]:
    """The statements of ``sql`` without their comment lines (the runner's splitting rule)."""
    chunks = _STATEMENT_END.split(sql)
    cleaned = ("\n".join(ln for ln in c.splitlines() if not ln.strip().startswith("--")) for c in chunks)
    return [chunk.strip() for chunk in cleaned if chunk.strip()]


def _around(text: str, position: int) -> str:
    return text[max(0, position - 20) : position + 30]
