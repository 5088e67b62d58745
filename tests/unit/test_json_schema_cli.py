"""``warmcity schemas export`` and ``warmcity schemas check``."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pipeline.cli.schemas_cmd import schemas
from pipeline.contracts.json_schema import CONTRACTS


def test_export_writes_then_check_passes(tmp_path: Path) -> None:
    out = tmp_path / "json"
    exported = CliRunner().invoke(schemas, ["export", "--out", str(out)])
    assert exported.exit_code == 0, exported.stderr
    assert exported.stdout.endswith(f", {len(CONTRACTS)} changed\n")  # a fresh folder: every file written
    checked = CliRunner().invoke(schemas, ["check", "--dir", str(out)])
    assert checked.exit_code == 0, checked.stderr
    assert "match the models" in checked.stdout


def test_check_exits_1_and_names_the_drifted_file(tmp_path: Path) -> None:
    CliRunner().invoke(schemas, ["export", "--out", str(tmp_path)])
    (tmp_path / "device_record.v1.json").write_text("{}\n", encoding="utf-8")
    result = CliRunner().invoke(schemas, ["check", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "device_record.v1.json: changed" in result.stderr
    assert "warmcity schemas export" in result.stderr
