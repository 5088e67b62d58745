"""Names of one run's topics, consumer groups and databases, so that phases never see each other's data.

The simulator fills the *source* topics (``bench-<tag>.raw.*`` and ``bench-<tag>.ref.*``) once. A phase
that reads them directly (a, a', b) does so with its own consumer group and writes under its own prefix
``bench-<tag>-<phase>``; a phase that runs the real worker (c, f) gets a copy of the source topics under
its prefix, because the worker derives every topic name from one prefix. Everything a run created starts
with ``bench-<tag>`` (topics, groups) or ``bench_<tag>_`` (databases), which is how it is cleaned up.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from pipeline.contracts.reference import DeviceFamily
from pipeline.topics import REFERENCE_TOPICS, Topics, TopicSpec

_TAG = re.compile(r"^[a-z0-9-]{1,40}$")


@dataclass(frozen=True)
class RunLayout:
    tag: str
    partitions: int = 6
    reference_partitions: int = 1

    def __post_init__(self) -> None:
        if not _TAG.fullmatch(self.tag):
            raise ValueError(f"run tag {self.tag!r}: lower-case letters, digits and '-' only")

    @classmethod
    def new(cls, now: datetime, partitions: int = 6, reference_partitions: int = 1) -> RunLayout:
        return cls(f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}", partitions, reference_partitions)

    @property
    def source_prefix(self) -> str:
        return f"bench-{self.tag}"

    @property
    def source(self) -> Topics:
        return Topics(self.source_prefix, self.partitions, self.reference_partitions)

    def prefix(self, phase: str) -> str:
        return f"{self.source_prefix}-{phase}"

    def topics(self, phase: str) -> Topics:
        return Topics(self.prefix(phase), self.partitions, self.reference_partitions)

    def group(self, phase: str) -> str:
        """The consumer group of a phase that reads the source topics itself."""
        return self.prefix(phase)

    def database(self, phase: str) -> str:
        return f"bench_{self.tag.replace('-', '_')}_{phase}"

    @property
    def database_prefix(self) -> str:
        return f"bench_{self.tag.replace('-', '_')}_"


def source_specs(topics: Topics) -> list[TopicSpec]:
    """The raw topics and the reference topics: what the simulator and the registry fill."""
    raw = [TopicSpec(topics.raw(family), topics.partitions) for family in DeviceFamily]
    reference = [
        TopicSpec(topics.reference(name), topics.reference_partitions, "compact") for name in REFERENCE_TOPICS
    ]
    return raw + reference


def output_specs(topics: Topics) -> list[TopicSpec]:
    """What a stand-alone phase (a', b) writes: enriched events of each family, alerts, dead letters."""
    names = [topics.enriched(family) for family in DeviceFamily] + [topics.alerts, topics.dead_letter]
    return [TopicSpec(name, topics.partitions) for name in names]


def copied_topics(source: Topics, target: Topics) -> list[tuple[str, str]]:
    """(source, target) of every raw and reference topic, for a phase that runs the real worker."""
    pairs = [(source.raw(family), target.raw(family)) for family in DeviceFamily]
    return pairs + [(source.reference(name), target.reference(name)) for name in REFERENCE_TOPICS]
