"""Device simulators: seeded plate-read streams (pure) and the publisher that paces them onto Kafka.

``PlateReadGenerator`` makes the messages, ``run_simulation`` sends them. Only the publisher talks to Kafka.
"""

from pipeline.simulate.generator import MessageKind, PlateReadGenerator, SimulatedMessage, utc_now
from pipeline.simulate.malformed import MalformedKind
from pipeline.simulate.publisher import (
    SimulationError,
    SimulationProgress,
    SimulationSummary,
    run_simulation,
)

__all__ = [
    "MalformedKind",
    "MessageKind",
    "PlateReadGenerator",
    "SimulatedMessage",
    "SimulationError",
    "SimulationProgress",
    "SimulationSummary",
    "run_simulation",
    "utc_now",
]
