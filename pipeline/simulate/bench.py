"""Benchmark of the generators alone: how many messages one process makes per second, no Kafka.

``measure_generation`` pulls messages from a source as fast as it can for a number of seconds: everything
a message costs before the producer (choosing the device, building the event, serialising it to JSON bytes,
breaking or duplicating it) is measured; setting the source up (building the city, the fleets) is timed
separately. The result carries the machine it ran on, for docs/simulator.md.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pipeline.contracts.reference import DeviceFamily
from pipeline.simulate.messages import FamilyTally, SimulatedMessage, in_family_order

CHECK_CLOCK_EVERY = 1024  # reading the clock per message would itself show in the figure


@dataclass(frozen=True)
class GenerationBenchmark:
    """Messages generated in ``elapsed_s`` seconds, overall and per family."""

    messages: int
    elapsed_s: float
    setup_s: float
    families: dict[DeviceFamily, FamilyTally] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=dict)

    @property
    def rate_per_s(self) -> float:
        return self.messages / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def family_rate_per_s(self, family: DeviceFamily) -> float:
        tally = self.families.get(family)
        return tally.sent / self.elapsed_s if tally and self.elapsed_s > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "elapsed_s": round(self.elapsed_s, 3),
            "setup_s": round(self.setup_s, 3),
            "events_per_s": round(self.rate_per_s, 1),
            "mean_message_bytes": round(
                sum(t.bytes for t in self.families.values()) / max(1, self.messages), 1
            ),
            "families": {
                family.value: {
                    "sent": tally.sent,
                    "events_per_s": round(self.family_rate_per_s(family), 1),
                    "malformed": tally.malformed,
                    "duplicates": tally.duplicates,
                    "late": tally.late,
                }
                for family, tally in self.families.items()
            },
            "machine": self.machine,
        }


def machine_conditions() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "load_average_1m": round(load[0], 2),
    }


def measure_generation(
    source: Iterable[SimulatedMessage], seconds: float, setup_s: float = 0.0
) -> GenerationBenchmark:
    """Pull from ``source`` for ``seconds``; count per family."""
    families: dict[DeviceFamily, FamilyTally] = {}
    messages = iter(source)
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for message in messages:
            tally = families.get(message.family)
            if tally is None:
                tally = families[message.family] = FamilyTally()
            tally.add(message)
            count += 1
            if count % CHECK_CLOCK_EVERY == 0:
                break
        else:
            break  # a finite source ran out
        if time.perf_counter() >= deadline:
            break
    elapsed = time.perf_counter() - start
    return GenerationBenchmark(count, elapsed, setup_s, in_family_order(families), machine_conditions())
