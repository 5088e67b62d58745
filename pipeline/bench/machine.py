"""The conditions a run was measured under: the machine, its load, and the versions of what ran."""

from __future__ import annotations

import os
from importlib import metadata
from typing import Any

from pipeline.simulate.bench import machine_conditions

PACKAGES = ("faust-streaming", "aiokafka", "confluent-kafka", "pydantic", "orjson", "clickhouse-driver")


def memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        return None
    return None


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def conditions(kafka_version: str, clickhouse_version: str | None) -> dict[str, Any]:
    from confluent_kafka import libversion

    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        **machine_conditions(),
        "load_average": [round(x, 2) for x in load],
        "memory_gib": memory_gib(),
        "kafka": kafka_version,
        "clickhouse": clickhouse_version,
        "librdkafka": libversion()[0],
        "packages": package_versions(),
    }
