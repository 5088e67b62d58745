"""The JSON Schema files in schemas/json are exactly what the models generate (drift fails here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.contracts.families import EVENT_TYPES
from pipeline.contracts.json_schema import (
    CONTRACTS,
    check_schemas,
    export_schemas,
    render,
    rendered_schemas,
    schema_of,
)

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas" / "json"


def test_committed_schemas_match_the_models() -> None:
    drifts = check_schemas(SCHEMA_DIR)
    assert not drifts, "run 'warmcity schemas export': " + "; ".join(map(str, drifts))


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_each_schema_file_is_named_by_contract_and_version(name: str) -> None:
    contract = CONTRACTS[name]
    document = json.loads((SCHEMA_DIR / f"{name}.v{contract.version}.json").read_text(encoding="utf-8"))
    assert document["$id"] == f"urn:warmcity:schema:{name}:v{contract.version}"
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["title"].startswith(contract.model.__name__)


def test_every_device_event_and_reference_record_is_exported() -> None:
    assert set(EVENT_TYPES) <= set(CONTRACTS)
    assert {"device_record", "site", "crowd_zone", "depot_record", "transport_permit", "plate_watch_entry",
            "person_watch_entry", "alert", "dead_letter"} <= set(CONTRACTS)  # fmt: skip


def test_plate_read_schema_uses_the_wire_names() -> None:
    document = schema_of(CONTRACTS["plate_read"])
    assert "schema" in document["properties"]
    assert "schema_name" not in document["properties"]
    assert document["additionalProperties"] is False
    assert {"event_id", "device_id", "event_time", "plate", "lane"} <= set(document["required"])


def test_rendering_is_stable_and_ends_with_a_newline() -> None:
    first, second = rendered_schemas(), rendered_schemas()
    assert first == second
    for text in first.values():
        assert text.endswith("}\n")
        assert json.loads(text)
    assert render({"b": 1, "a": "蒙"}) == '{\n  "a": "蒙",\n  "b": 1\n}\n'


def test_export_then_check_is_clean_and_idempotent(tmp_path: Path) -> None:
    assert len(export_schemas(tmp_path)) == len(CONTRACTS)
    assert check_schemas(tmp_path) == []
    assert export_schemas(tmp_path) == []  # nothing changed, nothing rewritten


def test_check_names_changed_missing_and_unexpected_files(tmp_path: Path) -> None:
    export_schemas(tmp_path)
    changed = tmp_path / "plate_read.v1.json"
    changed.write_text(
        changed.read_text(encoding="utf-8").replace("Plate as read", "Plate"), encoding="utf-8"
    )
    (tmp_path / "alert.v1.json").unlink()
    (tmp_path / "plate_read.v0.json").write_text("{}\n", encoding="utf-8")
    problems = {str(d) for d in check_schemas(tmp_path)}
    assert problems == {
        "plate_read.v1.json: changed: differs from the model",
        "alert.v1.json: missing",
        "plate_read.v0.json: unexpected: no contract exports it",
    }
