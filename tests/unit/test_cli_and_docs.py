"""The CLI's surface and the docs generated from code: every command has help, docs match the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pipeline.cli.main import cli
from pipeline.settings_doc import settings_reference

ROOT = Path(__file__).resolve().parents[2]


def all_commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*path, name))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, (*path, name)))
    return found


COMMANDS = all_commands(cli)


def test_the_issue_s_commands_exist() -> None:
    for expected in [("stack", "up"), ("stack", "down"), ("stack", "status"), ("alerts", "tail"), ("demo",),
                     ("simulate",), ("worker",), ("migrate",), ("topics", "create")]:  # fmt: skip
        assert expected in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_every_command_has_its_own_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output
    body = result.output.split("\n\n", 2)
    description = body[1].strip() if len(body) >= 2 else ""
    assert description and not description.startswith("Options:"), f"'{' '.join(path)}' has no description"


def test_configuration_doc_matches_the_settings() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert settings_reference() in doc, (
        "docs/configuration.md is stale: regenerate with `warmcity config reference`"
    )


def test_a_bad_env_var_is_named_and_exits_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli.main", "topics", "list"],
        env={"WARMCITY_CLICKHOUSE_PORT": "ninety", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "WARMCITY_CLICKHOUSE_PORT" in result.stderr
    assert "'ninety'" in result.stderr


def test_devices_doc_matches_the_contracts() -> None:
    from pipeline.contracts.devices_doc import devices_reference

    doc = (ROOT / "docs" / "devices.md").read_text(encoding="utf-8")
    assert devices_reference() in doc, "docs/devices.md is stale: regenerate with `warmcity schemas docs`"


def test_every_event_type_has_a_valid_example() -> None:
    from pipeline.contracts.examples import EXAMPLES
    from pipeline.contracts.families import EVENT_TYPES

    assert set(EXAMPLES) == set(EVENT_TYPES)
    for name, example in EXAMPLES.items():
        assert EVENT_TYPES[name].model_validate(example).schema_name == name
