"""Device simulators (pure, seeded) and the publisher that paces them onto Kafka.

``CitySimulator`` makes every family's traffic for a ``SimulationWorld`` (a city's registry and reference
data) in the city's mix, with scenarios (``pipeline.simulate.scenarios``) injected and their ground truth.
``run_simulation`` paces its messages onto the families' raw topics; only the publisher talks to Kafka.
``measure_generation`` is the benchmark of the generators alone.
"""

from pipeline.simulate.bench import GenerationBenchmark, measure_generation
from pipeline.simulate.malformed import MalformedKind
from pipeline.simulate.messages import (
    FamilyTally,
    MessageKind,
    SimulatedMessage,
    SimulationProgress,
    SimulationSummary,
    utc_now,
)
from pipeline.simulate.publisher import SimulationError, run_simulation
from pipeline.simulate.scenarios.publication import default_ground_truth_path, write_ground_truth
from pipeline.simulate.source import CitySimulator
from pipeline.simulate.world import SimulationWorld

__all__ = [
    "CitySimulator",
    "FamilyTally",
    "GenerationBenchmark",
    "MalformedKind",
    "MessageKind",
    "SimulatedMessage",
    "SimulationError",
    "SimulationProgress",
    "SimulationSummary",
    "SimulationWorld",
    "default_ground_truth_path",
    "measure_generation",
    "run_simulation",
    "utc_now",
    "write_ground_truth",
]
