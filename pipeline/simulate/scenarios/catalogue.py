"""Every scenario by name, and the plan of a run: which scenarios begin when, and what they add.

Scenarios begin ``lead_s`` after the start (the worker needs a moment to read the reference data published
just before the traffic), a few seconds apart, each on devices of its own. ``ScenarioPlan`` merges what
they add; the simulator sends the messages and reports which ground truth became complete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from pipeline.contracts.reference import DeviceFamily, PlateWatchEntry
from pipeline.contracts.sites import DepotRecord, PersonWatchEntry, TransportPermit
from pipeline.simulate.background import Reservations
from pipeline.simulate.scenarios import cameras, explosives, people, plates, sites
from pipeline.simulate.scenarios.base import (
    GroundTruth,
    Injection,
    ScenarioContext,
    ScenarioError,
    ScheduledMessage,
)
from pipeline.simulate.world import SimulationWorld
from pipeline.stages.privacy import Pseudonymiser

ALL = "all"
LEAD_S = 20.0
STAGGER_S = 5.0
F = DeviceFamily


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    rules: tuple[str, ...]
    families: tuple[DeviceFamily, ...]
    build: Callable[[ScenarioContext, float], Injection]
    needs_key: bool = False  # names people: the ground truth needs their tokens


SCENARIOS: Mapping[str, Scenario] = MappingProxyType(
    {
        s.name: s
        for s in (
            Scenario("wanted-plate-rings", "a watched plate crosses the city, banner and core rings",
                     ("watchlist.plate",), (F.VEHICLE_CHECKPOINT,), plates.wanted_plate_rings),
            Scenario("cloned-plate", "one plate at two checkpoints 50+ km apart within 4 minutes",
                     ("plate.cloned",), (F.VEHICLE_CHECKPOINT,), plates.cloned_plate),
            Scenario("wanted-person-station",
                     "a wanted person's ID read at a station exit, later their face in town (no incident)",
                     ("watchlist.person", "watchlist.face"), (F.ID_GATE, F.FACE_RECOGNITION),
                     people.wanted_person_station, needs_key=True),
            Scenario("wanted-person-corroborated",
                     "a wanted person's ID read at a station exit, then their face in its exit hall",
                     ("watchlist.person", "watchlist.face", "corroboration.incident"),
                     (F.ID_GATE, F.FACE_RECOGNITION), people.wanted_person_corroborated, needs_key=True),
            Scenario("id-face-mismatch", "someone else's ID card at a gate: face similarity 0.38, denied",
                     ("id_gate.face_mismatch",), (F.ID_GATE,), people.id_face_mismatch, needs_key=True),
            Scenario("id-gate-denials", "an expired ID card tried four times at a station's exit gates",
                     ("id_gate.repeated_denials",), (F.ID_GATE,), people.id_gate_denials, needs_key=True),
            Scenario("crowd-surge", "a square's zone fills to 135% of its capacity",
                     ("crowd.density",), (F.CAMERA,), cameras.crowd_surge),
            Scenario("depot-after-hours", "an explosives depot door opens outside its permitted hours",
                     ("explosives.depot_after_hours",), (F.EXPLOSIVES,), explosives.depot_after_hours),
            Scenario("inventory-drop", "depot stock drops 5% without a dispatch",
                     ("explosives.inventory_drop",), (F.EXPLOSIVES,), explosives.inventory_drop),
            Scenario("truck-off-route", "an explosives truck leaves its permit's corridor",
                     ("explosives.off_corridor",), (F.EXPLOSIVES,), explosives.truck_off_route),
            Scenario("truck-stopped", "an explosives truck stands on its route 2 minutes longer than allowed",
                     ("explosives.stopped_too_long",), (F.EXPLOSIVES,), explosives.truck_stopped),
            Scenario("camera-offline", "a camera's heartbeats stop",
                     ("device.offline",), (F.CAMERA,), cameras.camera_offline),
            Scenario("camera-video-loss", "a camera's video lost on one channel for 6 minutes",
                     ("device.video_loss",), (F.CAMERA,), cameras.camera_video_loss),
            Scenario("camera-tamper", "a camera reports it was sprayed",
                     ("device.tamper",), (F.CAMERA,), cameras.camera_tamper),
            Scenario("school-emergency", "a school's one-key alarm is pressed for real",
                     ("school.emergency",), (F.SCHOOL,), sites.school_emergency),
            Scenario("community-denials", "six denied card attempts at one community gate in 3 minutes",
                     ("access.repeated_denials",), (F.COMMUNITY,), sites.community_denials),
        )
    }
)  # fmt: skip


def resolve(names: Iterable[str]) -> list[Scenario]:
    """The scenarios named (``all``: every one), in catalogue order, each once."""
    wanted = set(names)
    unknown = wanted - set(SCENARIOS) - {ALL}
    if unknown:
        known = ", ".join([*SCENARIOS, ALL])
        raise ScenarioError(f"unknown scenario {', '.join(sorted(unknown))} (known: {known})")
    return [s for name, s in SCENARIOS.items() if ALL in wanted or name in wanted]


@dataclass(frozen=True)
class ScenarioPlan:
    """What the scenarios of a run add to it."""

    injections: tuple[Injection, ...] = ()

    @property
    def scenarios(self) -> tuple[str, ...]:
        return tuple(i.scenario for i in self.injections)

    @property
    def messages(self) -> list[ScheduledMessage]:
        return sorted((m for i in self.injections for m in i.messages), key=lambda m: m.send_ts)

    @property
    def ground_truth(self) -> list[GroundTruth]:
        return [g for i in self.injections for g in i.ground_truth]

    @property
    def plate_watch(self) -> list[PlateWatchEntry]:
        return [e for i in self.injections for e in i.plate_watch]

    @property
    def person_watch(self) -> list[PersonWatchEntry]:
        return [e for i in self.injections for e in i.person_watch]

    @property
    def depots(self) -> list[DepotRecord]:
        return [d for i in self.injections for d in i.depots]

    @property
    def permits(self) -> list[TransportPermit]:
        return [p for i in self.injections for p in i.permits]

    @property
    def reserved(self) -> Reservations:
        parts = [i.reserved for i in self.injections]
        return Reservations(
            device_ids=frozenset().union(*(r.device_ids for r in parts)),
            zone_ids=frozenset().union(*(r.zone_ids for r in parts)),
            plates=frozenset().union(*(r.plates for r in parts)),
            id_numbers=frozenset().union(*(r.id_numbers for r in parts)),
        )

    def complete_ts(self, scenario: str | None = None) -> float | None:
        """When the ground truth (of ``scenario``, or all of it) is complete: its last evidence is sent
        and, for absence rules, its time has come."""
        chosen = [i for i in self.injections if scenario is None or i.scenario == scenario]
        times = []
        for injection in chosen:
            sent = {m.message.event_id: m.send_ts for m in injection.messages}
            for truth in injection.ground_truth:
                times += [sent[event_id] for event_id in truth.evidence_event_ids if event_id in sent]
                if truth.expected_after is not None:
                    times.append(truth.expected_after.timestamp())
        return max(times) if times else None

    def end_ts(self, scenario: str | None = None) -> float | None:
        """When the last message (of ``scenario``, or of any) is sent or its last alert is due."""
        chosen = [i for i in self.injections if scenario is None or i.scenario == scenario]
        times = [m.send_ts for i in chosen for m in i.messages]
        times += [g.expected_after.timestamp() for i in chosen for g in i.ground_truth if g.expected_after]
        return max(times) if times else None


def plan_scenarios(
    world: SimulationWorld,
    scenarios: Sequence[Scenario],
    seed: int,
    start_ts: float,
    pseudonymiser: Pseudonymiser | None = None,
    lead_s: float = LEAD_S,
    stagger_s: float = STAGGER_S,
) -> ScenarioPlan:
    """Build every scenario; a ``ScenarioError`` names the first that cannot run."""
    if any(s.needs_key for s in scenarios) and pseudonymiser is None:
        names = ", ".join(s.name for s in scenarios if s.needs_key)
        raise ScenarioError(
            f"scenario {names} needs WARMCITY_PRIVACY_HMAC_KEY (the worker's key) to name people by token"
        )
    context = ScenarioContext(world, start_ts, seed, pseudonymiser)
    injections = []
    for number, scenario in enumerate(scenarios):
        try:
            injections.append(scenario.build(context, start_ts + lead_s + number * stagger_s))
        except ScenarioError as exc:
            raise ScenarioError(f"{scenario.name}: {exc}") from exc
    return ScenarioPlan(tuple(injections))
