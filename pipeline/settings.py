"""Every setting of warmcity-pipeline: one frozen class per concern, each field tied to an env var.

Settings are resolved once at start (``Settings.load()``) and passed down; nothing below the CLI reads the
environment. Env var names are the prefix of the class plus the field name in upper case, for example
``WARMCITY_KAFKA_BOOTSTRAP_SERVERS``. ``docs/configuration.md`` lists them all.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_type_hints

from pydantic import Field, SecretStr, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from pipeline.rules.settings import RuleSettings


def _config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, frozen=True, extra="ignore")


class KafkaSettings(BaseSettings):
    """Where the brokers are and how the project's topics are named."""

    model_config = _config("WARMCITY_KAFKA_")

    bootstrap_servers: str = Field(
        "127.0.0.1:19092",
        description="Kafka bootstrap address(es), comma-separated. The local stack listens on the first one.",
    )
    topic_prefix: str = Field(
        "warmcity",
        pattern=r"^[A-Za-z0-9._-]{1,100}$",
        description="Prefix of every topic and consumer group; tests use a unique one each.",
    )
    partitions: int = Field(6, ge=1, le=1024, description="Partitions of the raw and enriched topics.")
    reference_partitions: int = Field(1, ge=1, le=64, description="Partitions of compacted reference topics.")

    @property
    def first_host_port(self) -> tuple[str, int]:
        first = self.bootstrap_servers.split(",")[0].strip()
        host, _, port = first.rpartition(":")
        return host or "127.0.0.1", int(port)


class ClickHouseSettings(BaseSettings):
    """The ClickHouse server the sink writes to and the analysts read from (native protocol)."""

    model_config = _config("WARMCITY_CLICKHOUSE_")

    host: str = Field("127.0.0.1", description="ClickHouse host (native protocol).")
    port: int = Field(19000, ge=1, le=65535, description="ClickHouse native-protocol port.")
    database: str = Field(
        "warmcity", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,100}$", description="Database holding the tables."
    )
    cluster: str = Field(
        "",
        pattern=r"^([A-Za-z_][A-Za-z0-9_]{0,100})?$",
        description=(
            "Cluster (remote_servers) `warmcity migrate` creates the tables on: replicated, behind "
            "Distributed tables (docs/deploy.md). Empty: one server."
        ),
    )
    user: str = Field("default", description="ClickHouse user (admin: migrations, prune, tests).")
    password: SecretStr = Field(SecretStr(""), description="ClickHouse password.")
    connect_timeout_s: float = Field(5.0, gt=0, description="Connect timeout of one attempt, seconds.")
    writer_user: str = Field(
        "warmcity_writer", description="User that inserts rows (the sink): no DDL (docs/stack.md)."
    )
    writer_password: SecretStr = Field(SecretStr(""), description="Password of the writer user.")
    analyst_user: str = Field(
        "warmcity_analyst", description="Read-only user for analysts, with the limits below."
    )
    analyst_password: SecretStr = Field(SecretStr(""), description="Password of the analyst user.")
    analyst_max_memory_usage: int = Field(
        2_000_000_000, ge=0, description="Analyst: memory per query, bytes (0: no limit)."
    )
    analyst_max_execution_time_s: int = Field(
        60, ge=0, description="Analyst: longest query, seconds (0: no limit)."
    )
    analyst_max_rows_to_read: int = Field(
        500_000_000, ge=0, description="Analyst: rows one query may read (0: no limit)."
    )


class PipelineSettings(BaseSettings):
    """How the workers batch, retry and report."""

    model_config = _config("WARMCITY_PIPELINE_")

    app_id: str = Field(
        "worker", description="Faust app id suffix; the full id is '<topic_prefix>-<app_id>'."
    )
    process_batch: int = Field(1000, ge=1, description="Raw events taken per processing batch.")
    process_within_s: float = Field(
        0.05,
        gt=0,
        description="Longest wait to fill a processing batch, s (each hop to an alert waits up to this).",
    )
    sink_batch_rows: int = Field(10_000, ge=1, description="Rows per ClickHouse insert under load.")
    sink_batch_within_s: float = Field(1.0, gt=0, description="Longest wait to fill a sink batch, s.")
    sink_retry_max_backoff_s: float = Field(30.0, gt=0, description="Cap of the sink's retry backoff, s.")
    metrics_port: int = Field(9108, ge=0, le=65535, description="Port of /metrics (0: pick a free one).")
    web_port: int = Field(6066, ge=1, le=65535, description="Port of the Faust web server.")
    data_dir: Path = Field(Path(".run/worker"), description="Faust's data directory (table state).")
    log_level: Literal["crit", "error", "warn", "info", "debug"] = Field(
        "info", description="Worker log level."
    )
    max_event_ahead_s: float = Field(
        300.0, gt=0, description="Events timed further ahead of the worker's clock are dead-lettered."
    )
    max_event_age_s: float = Field(
        7 * 86400.0, gt=0, description="Events older than this are dead-lettered (default 7 days)."
    )
    reference_ready_timeout_s: float = Field(
        60.0, gt=0, description="How long a worker waits to load reference topics before it fails, s."
    )
    max_invalid_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="When more than this share of a family's last WARMCITY_PIPELINE_INVALID_SHARE_WINDOW "
        "messages was dead-lettered, a worker stops (CRITICAL log, exit code 3) instead of dead-lettering "
        "on; the batch that crossed it is not acknowledged. 1.0 disables the cap.",
    )
    invalid_share_window: int = Field(
        1000, ge=1, description="Messages per family over which the invalid share is measured (sliding)."
    )
    invalid_share_min_messages: int = Field(
        100,
        ge=1,
        description="The cap acts once a family's window holds this many messages (at most the window), "
        "so a few bad messages at start-up do not stop a worker.",
    )


class PrivacySettings(BaseSettings):
    """How person identifiers are pseudonymised."""

    model_config = _config("WARMCITY_PRIVACY_")

    hmac_key: SecretStr = Field(
        SecretStr(""),
        description="Key of the HMAC that turns person identifiers into tokens (>= 16 bytes). Required by "
        "the worker and by the simulator's person scenarios; the demo generates one into the run dir.",
    )

    def key_bytes(self) -> bytes:
        key = self.hmac_key.get_secret_value().encode("utf-8")
        if not key:
            raise ValueError(
                "WARMCITY_PRIVACY_HMAC_KEY is not set: person identifiers cannot be pseudonymised"
            )
        return key


class AlertingSettings(BaseSettings):
    """How detections become alerts: suppression and escalation (the alert book)."""

    model_config = _config("WARMCITY_ALERTING_")

    suppression_window_s: float = Field(
        1800.0,
        gt=0,
        description="Hits of one rule and subject within this of the last one merge into its alert.",
    )
    escalate_after_s: float = Field(
        300.0, gt=0, description="A critical alert still not acknowledged after this is escalated."
    )


def _rules_settings_class() -> type[BaseSettings]:
    """``WARMCITY_RULES_<FIELD>`` for every field of ``RuleSettings`` (durations in seconds)."""
    from pipeline.rules.settings import RuleSettings

    hints = get_type_hints(RuleSettings)
    fields: dict[str, Any] = {}
    for item in dataclasses.fields(RuleSettings):
        default: Any = (
            item.default_factory() if item.default_factory is not dataclasses.MISSING else item.default
        )
        kind, note = hints[item.name], f"See docs/rules.md ({item.name})."
        if kind is timedelta:  # durations are seconds in the environment
            kind, default, note = float, default.total_seconds(), f"Seconds. See docs/rules.md ({item.name})."
        fields[item.name] = (kind, Field(default, description=note))
    return create_model(
        "RulesSettings",
        __base__=BaseSettings,
        __doc__="Thresholds and windows of the detection rules (docs/rules.md explains each).",
        **fields,
    )


RulesSettings = _rules_settings_class()
RulesSettings.model_config = _config("WARMCITY_RULES_")
RulesSettings.model_rebuild(force=True)


class StackSettings(BaseSettings):
    """The local stack started by ``warmcity stack up``: what to start, where it lives, which ports."""

    model_config = _config("WARMCITY_STACK_")

    run_dir: Path = Field(Path(".run/stack"), description="Data, configs, logs and pid files of the stack.")
    kafka: Literal["local", "external"] = Field(
        "local",
        description="'local' starts a broker; 'external' uses WARMCITY_KAFKA_BOOTSTRAP_SERVERS as is.",
    )
    kafka_version: str = Field("4.1.1", description="Apache Kafka version fetched from Maven Central.")
    kafka_home: Path | None = Field(
        None, description="Folder of an unpacked Apache Kafka tarball; its libs/ replace the Maven jars."
    )
    kafka_cache_dir: Path = Field(
        Path.home() / ".cache" / "warmcity" / "kafka",
        description="Where the broker's jars are kept between runs (one folder per version).",
    )
    kafka_controller_port: int = Field(19093, ge=1, le=65535, description="KRaft controller port.")
    kafka_heap: str = Field("1g", description="Broker JVM heap (-Xmx).")
    clickhouse: Literal["local", "external"] = Field(
        "local", description="'local' starts a server; 'external' uses WARMCITY_CLICKHOUSE_HOST/PORT as is."
    )
    clickhouse_http_port: int = Field(18123, ge=1, le=65535, description="ClickHouse HTTP port (local).")
    clickhouse_binary: str | None = Field(
        None, description="Path of clickhouse-server or clickhouse; default: search PATH and /usr/sbin."
    )
    ready_timeout_s: float = Field(60.0, gt=0, description="How long 'stack up' waits for each service, s.")


@dataclass(frozen=True)
class Settings:
    """All settings, resolved once."""

    kafka: KafkaSettings
    clickhouse: ClickHouseSettings
    pipeline: PipelineSettings
    stack: StackSettings
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    alerting: AlertingSettings = field(default_factory=AlertingSettings)
    rules: BaseSettings = field(default_factory=RulesSettings)

    @classmethod
    def load(cls) -> Settings:
        return cls(
            kafka=KafkaSettings(),
            clickhouse=ClickHouseSettings(),
            pipeline=PipelineSettings(),
            stack=StackSettings(),
            privacy=PrivacySettings(),
            alerting=AlertingSettings(),
            rules=RulesSettings(),
        )

    def rule_settings(self) -> RuleSettings:
        from pipeline.rules.settings import RuleSettings

        hints = get_type_hints(RuleSettings)
        values: dict[str, Any] = {
            name: timedelta(seconds=value) if hints[name] is timedelta else value
            for name, value in self.rules.model_dump().items()
        }
        return RuleSettings(**values)
