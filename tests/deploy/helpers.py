"""What the deployment tests share: the tools (promtool, kustomize), the settings' env var names, the
metric catalogue of ``pipeline/metrics.py`` and a small reader of PromQL, and the CLI's own parser.

Tools are found where ``deploy/local/tools.sh`` (``make tools``, part of ``make setup``) installs them:
``$WARMCITY_TOOLS_DIR/bin`` (default ``~/.cache/warmcity/tools/bin``). A missing tool fails the test with
the command that installs it; it never skips, so CI cannot pass without checking anything.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from prometheus_client import REGISTRY
from prometheus_client.metrics import Histogram, MetricWrapperBase
from pydantic_settings import BaseSettings

import pipeline.metrics
from pipeline import settings as settings_module

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = ROOT / "k8s"
RULES_FILE = DEPLOY / "prometheus" / "rules" / "warmcity.yml"

INSTALL_HINT = "install it with `make tools` (or `bash deploy/local/tools.sh`)"


def tools_dir() -> Path:
    configured = os.environ.get("WARMCITY_TOOLS_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "warmcity" / "tools"


def require_tool(name: str) -> Path:
    """The tool as ``deploy/local/tools.sh`` installed it; the test fails, naming the fix, without it."""
    path = tools_dir() / "bin" / name
    if not (path.exists() and os.access(path, os.X_OK)):
        pytest.fail(f"{name} not found at {path}: {INSTALL_HINT}", pytrace=False)
    return path


def run_tool(name: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(require_tool(name)), *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def load_yaml_documents(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


# --- settings ------------------------------------------------------------------------------------------


def settings_env_vars() -> set[str]:
    """Every WARMCITY_* variable a setting of ``pipeline/settings.py`` reads."""
    names: set[str] = set()
    for value in vars(settings_module).values():
        if isinstance(value, type) and issubclass(value, BaseSettings) and value is not BaseSettings:
            prefix = str(value.model_config.get("env_prefix", ""))
            if prefix.startswith("WARMCITY_"):
                names.update(prefix + name.upper() for name in value.model_fields)
    return names


# --- the CLI -------------------------------------------------------------------------------------------


def parse_cli(args: Sequence[str]) -> click.Context:
    """Parse ``warmcity <args>`` with the real CLI, without running it: a wrong command, option or value
    raises ``click.UsageError`` (or ``click.BadParameter``) as the container would at start."""
    from pipeline.cli.main import cli

    command: click.Command = cli
    context = cli.make_context("warmcity", [], resilient_parsing=True)
    rest = list(args)
    while isinstance(command, click.Group):
        if not rest:
            raise click.UsageError(f"{' '.join(args)!r} names no command")
        sub = command.get_command(context, rest[0])
        if sub is None:
            raise click.UsageError(f"no such command {rest[0]!r} in {' '.join(args)!r}")
        name, rest = rest[0], rest[1:]
        if isinstance(sub, click.Group):
            context = sub.make_context(name, [], parent=context, resilient_parsing=True)
        else:
            context = sub.make_context(name, rest, parent=context)
        command = sub
    return context


# --- the metric catalogue ------------------------------------------------------------------------------

#: Series Prometheus makes itself, and the labels they may be selected by (None: any).
PROMETHEUS_SERIES: dict[str, frozenset[str] | None] = {
    "up": frozenset({"job", "instance"}),
    "ALERTS": None,
    "ALERTS_FOR_STATE": None,
}
TARGET_LABELS = frozenset({"job", "instance"})


def go_float(bound: float) -> str:
    """A bucket bound as the exposition format writes it in ``le`` (prometheus_client's floatToGoString)."""
    from prometheus_client.utils import floatToGoString

    text: str = floatToGoString(bound)  # type: ignore[no-untyped-call]
    return text


@dataclass(frozen=True)
class Catalogue:
    """Sample names a scrape of a worker or the simulator can hold, with the labels each may carry."""

    samples: dict[str, frozenset[str] | None]
    buckets: dict[str, frozenset[str]] = field(default_factory=dict)  # <name>_bucket -> its `le` values


def catalogue() -> Catalogue:
    """``pipeline/metrics.py``'s declarations, read from the objects it creates, plus the process
    collector that prometheus_client registers in the same registry (process_*), plus ``up``."""
    samples: dict[str, frozenset[str] | None] = dict(PROMETHEUS_SERIES)
    buckets: dict[str, frozenset[str]] = {}
    for value in vars(pipeline.metrics).values():
        if not isinstance(value, MetricWrapperBase):
            continue
        labels = frozenset(value._labelnames) | TARGET_LABELS
        for family in value.describe():
            if family.type == "counter":
                samples[family.name + "_total"] = labels
            elif family.type == "gauge":
                samples[family.name] = labels
            elif family.type == "histogram":
                samples[family.name + "_bucket"] = labels | {"le"}
                samples[family.name + "_count"] = labels
                samples[family.name + "_sum"] = labels
                assert isinstance(value, Histogram)
                buckets[family.name + "_bucket"] = frozenset(go_float(b) for b in value._upper_bounds)
            else:  # pragma: no cover - the catalogue declares no other type
                raise AssertionError(f"unexpected metric type {family.type} of {family.name}")
    for family in REGISTRY.collect():
        if family.name.startswith("process_"):
            for sample in family.samples:
                samples.setdefault(sample.name, frozenset(sample.labels) | TARGET_LABELS)
    return Catalogue(samples, buckets)


def recording_rules() -> dict[str, str]:
    """Name -> expression of every recording rule in deploy/prometheus/rules."""
    groups = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["groups"]
    return {rule["record"]: rule["expr"] for group in groups for rule in group["rules"] if "record" in rule}


def alerting_rules() -> dict[str, dict[str, Any]]:
    groups = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"] if "alert" in rule}


# --- reading PromQL ------------------------------------------------------------------------------------

_KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or", "unless"}
    | {"inf", "nan", "Inf", "NaN"}
)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"' + r"|'(?:[^'\\]|\\.)*'")
_SELECTOR = re.compile(r"(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)?\s*\{(?P<matchers>[^}]*)\}")
_MATCHER = re.compile(r"(?P<label>[A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)\s*(?P<value>\"(?:[^\"\\]|\\.)*\")")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
# Not part of a longer name, and not a function call (the lookahead forbids backtracking into a name).
_IDENTIFIER = re.compile(r"(?<![A-Za-z0-9_:.$])([A-Za-z_:][A-Za-z0-9_:]*)(?![A-Za-z0-9_:]|\s*\()")


@dataclass(frozen=True)
class Selector:
    metric: str
    labels: dict[str, str]  # label -> the quoted value of its matcher


def grafana_to_promql(expr: str) -> str:
    """Grafana's variables replaced by something PromQL accepts: ranges by 5m, template vars by a regex."""
    expr = re.sub(r"\$__(?:rate_interval|interval|range)\b", "5m", expr)
    return re.sub(r"\$\{?[A-Za-z_]\w*\}?", ".*", expr)


def selectors(expr: str) -> Iterator[Selector]:
    """Every series selector of ``expr``: ``name{...}``, bare names, and ``{__name__=...}`` is not used."""
    with_strings = expr
    for match in _SELECTOR.finditer(with_strings):
        name = match.group("name")
        if name is None or name in _KEYWORDS:
            continue
        labels = {m.group("label"): m.group("value") for m in _MATCHER.finditer(match.group("matchers"))}
        yield Selector(name, labels)
    bare = _SELECTOR.sub(lambda m: " " if m.group("name") is None else m.group("name") + " ", expr)
    bare = _STRING.sub('""', bare)
    bare = re.sub(r"\[[^\]]*\]", " ", bare)
    bare = _GROUPING.sub(" ", bare)
    bare = re.sub(r"\boffset\s+\S+", " ", bare)
    for token in _IDENTIFIER.findall(bare):
        if token not in _KEYWORDS and not token[0].isdigit():
            yield Selector(token, {})


def unknown_series(expr: str, known: Catalogue, recorded: set[str]) -> list[str]:
    """What ``expr`` selects that no declaration provides: unknown names, labels and bucket bounds."""
    problems: list[str] = []
    for selector in selectors(expr):
        if selector.metric in recorded:
            continue
        if selector.metric not in known.samples:
            problems.append(f"metric {selector.metric!r} is not declared in pipeline/metrics.py")
            continue
        allowed = known.samples[selector.metric]
        for label, value in selector.labels.items():
            if allowed is not None and label not in allowed:
                problems.append(f"{selector.metric} has no label {label!r} (it has {sorted(allowed)})")
            if label == "le" and value.strip('"') not in known.buckets.get(selector.metric, frozenset()):
                problems.append(f"{selector.metric} has no bucket le={value}")
    return problems
