"""The reference of every setting, rendered from the settings classes (docs/configuration.md shows it)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings

from pipeline.settings import (
    AlertingSettings,
    ClickHouseSettings,
    KafkaSettings,
    PipelineSettings,
    PrivacySettings,
    RulesSettings,
    StackSettings,
)

SETTINGS_CLASSES: tuple[type[BaseSettings], ...] = (
    KafkaSettings,
    ClickHouseSettings,
    PipelineSettings,
    PrivacySettings,
    AlertingSettings,
    RulesSettings,
    StackSettings,
)


def _default(value: object) -> str:
    if isinstance(value, SecretStr):
        return "(secret)" if value.get_secret_value() else "(empty secret)"
    if isinstance(value, Path) and value.is_relative_to(Path.home()):
        value = Path("~") / value.relative_to(Path.home())  # the docs must not depend on who rendered them
    if isinstance(value, set | frozenset):
        value = sorted(value)  # a set prints in hash order, which changes from run to run
    return "(none)" if value is None else f"`{value}`"


def settings_reference() -> str:
    """Markdown tables, one per settings class: env var, default, meaning."""
    parts = []
    for cls in SETTINGS_CLASSES:
        prefix = str(cls.model_config.get("env_prefix", ""))
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        parts.append(f"### {cls.__name__}\n\n{doc}\n\n| env var | default | meaning |\n|---|---|---|")
        for name, field in cls.model_fields.items():
            env = f"{prefix}{name}".upper()
            parts.append(f"| `{env}` | {_default(field.default)} | {field.description or ''} |")
        parts.append("")
    return "\n".join(parts)
