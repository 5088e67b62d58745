"""JSON Schema of the contracts that devices and consumers see, generated from the pydantic models.

``export_schemas`` writes ``schemas/json/<name>.v<version>.json``; ``check_schemas`` reports files that have
drifted from the models, so a model change without re-exported schemas fails a test (and
``warmcity schemas check``). Output is deterministic: sorted keys, two-space indent, trailing newline.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from pipeline.contracts.alert import Alert
from pipeline.contracts.batch import EventBatch
from pipeline.contracts.dead_letter import DeadLetter
from pipeline.contracts.families import EVENT_TYPES
from pipeline.contracts.reference import DeviceRecord, PlateWatchEntry
from pipeline.contracts.sites import (
    CrowdZone,
    DepotRecord,
    GridCellRecord,
    PersonWatchEntry,
    Site,
    TransportPermit,
)

DEFAULT_SCHEMA_DIR = Path("schemas/json")
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True)
class Contract:
    """One exported contract: its file name stem, model and version."""

    name: str
    model: type[BaseModel]
    version: int

    @property
    def file_name(self) -> str:
        return f"{self.name}.v{self.version}.json"


# Reference records other than GridCellRecord carry no schema_version field; they are at version 1 until
# one is added.
CONTRACTS: Mapping[str, Contract] = MappingProxyType(
    {
        c.name: c
        for c in (
            # Every device event, by its schema name: what device vendors implement.
            *(Contract(name, model, 1) for name, model in EVENT_TYPES.items()),
            # What a site gateway sends instead: several events in one message (its events as above).
            Contract("event_batch", EventBatch, 1),
            # Reference records, alerts and dead letters: what operators' and analysts' tools read.
            Contract("device_record", DeviceRecord, 1),
            Contract("site", Site, 1),
            Contract("grid_cell_record", GridCellRecord, 1),
            Contract("crowd_zone", CrowdZone, 1),
            Contract("depot_record", DepotRecord, 1),
            Contract("transport_permit", TransportPermit, 1),
            Contract("plate_watch_entry", PlateWatchEntry, 1),
            Contract("person_watch_entry", PersonWatchEntry, 1),
            Contract("alert", Alert, 1),
            Contract("dead_letter", DeadLetter, 1),
        )
    }
)


@dataclass(frozen=True)
class SchemaDrift:
    """A schema file that does not match its model: ``missing``, ``changed`` or ``unexpected``."""

    file_name: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file_name}: {self.problem}"


def schema_of(contract: Contract) -> dict[str, Any]:
    """The JSON Schema document of one contract, with ``$schema``, ``$id`` and title."""
    document = contract.model.model_json_schema(by_alias=True)
    document["$schema"] = JSON_SCHEMA_DIALECT
    document["$id"] = f"urn:warmcity:schema:{contract.name}:v{contract.version}"
    document["title"] = f"{contract.model.__name__} v{contract.version}"
    return document


def render(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def rendered_schemas() -> dict[str, str]:
    """File name -> file content, for every contract."""
    return {c.file_name: render(schema_of(c)) for c in CONTRACTS.values()}


def export_schemas(out_dir: Path = DEFAULT_SCHEMA_DIR) -> list[Path]:
    """Write every schema into ``out_dir``; return the files whose content changed (or were new)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, text in rendered_schemas().items():
        path = out_dir / file_name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def check_schemas(schema_dir: Path = DEFAULT_SCHEMA_DIR) -> list[SchemaDrift]:
    """Differences between the files in ``schema_dir`` and the models; empty when in sync."""
    expected = rendered_schemas()
    drifts = []
    for file_name, text in expected.items():
        path = schema_dir / file_name
        if not path.exists():
            drifts.append(SchemaDrift(file_name, "missing"))
        elif path.read_text(encoding="utf-8") != text:
            drifts.append(SchemaDrift(file_name, "changed: differs from the model"))
    # A stale file of an old version or a removed contract would mislead vendors just as much.
    if schema_dir.is_dir():
        for path in sorted(schema_dir.glob("*.json")):
            if path.name not in expected:
                drifts.append(SchemaDrift(path.name, "unexpected: no contract exports it"))
    return drifts
