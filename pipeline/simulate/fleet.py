"""The background vehicles: who drives past each checkpoint and who lives behind each community barrier.

Vehicle *n* has one plate, computed, not stored: ``n`` goes through a bijection of the serial space
(multiplication by a number coprime with its size), then into five plate characters. Different vehicles
therefore never share a plate, which matters: a random plate seen at two distant checkpoints within minutes
is exactly what ``plate.cloned`` looks for. Each checkpoint has its own vehicles (commuters, local trucks)
and each community its residents' cars, in disjoint ranges, so a background plate is only ever read at one
checkpoint. Scenario plates come from ``outside_plate``: a letter in the last three serial positions, which
no background plate has, even after folding look-alike characters as the watch-list rule does.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass

from pipeline.contracts.plate_read import PlateColour, VehicleClass
from pipeline.rules.plates import fold_plate
from pipeline.simulate.identity import mix64
from pipeline.simulate.vehicles import DIGITS, PLATE_LETTERS

_ALPHABET = DIGITS + PLATE_LETTERS  # 34 characters
SERIAL_SPACE = 34 * 34 * 10 * 10 * 10  # two letter-or-digit positions, then three digits
_SCRAMBLE = 768_143  # coprime with SERIAL_SPACE (2^5 * 5^3 * 17^2): n -> n * _SCRAMBLE is a bijection
_OFFSET = 104_729

# Ordos (蒙K) first, then the cities and provinces with most traffic to it.
_PREFIXES = ("蒙K", "蒙B", "蒙A", "陕K", "晋A", "宁A", "蒙L", "陕A", "甘A", "京A", "冀A")
_PREFIX_CUMULATIVE = (78, 83, 87, 91, 93, 95, 96, 97, 98, 99, 100)
# Coal and construction trucks are a large share of traffic on Ordos's trunk roads.
_CLASSES = (
    VehicleClass.CAR,
    VehicleClass.SUV,
    VehicleClass.VAN,
    VehicleClass.BUS,
    VehicleClass.TRUCK,
    VehicleClass.MOTORCYCLE,
    VehicleClass.OTHER,
)
_CLASS_CUMULATIVE = (52, 77, 83, 86, 97, 99, 100)
_LARGE = frozenset({VehicleClass.TRUCK, VehicleClass.BUS, VehicleClass.MOTORCYCLE})

VEHICLES_PER_CHECKPOINT = 300
VEHICLES_PER_COMMUNITY = 120


@dataclass(frozen=True, slots=True)
class FleetVehicle:
    plate: str
    colour: PlateColour
    vehicle_class: VehicleClass


def serial(number: int) -> str:
    """The five serial characters of vehicle ``number`` (0 <= number < SERIAL_SPACE), distinct per number."""
    value = (number * _SCRAMBLE + _OFFSET) % SERIAL_SPACE
    value, d3 = divmod(value, 10)
    value, d2 = divmod(value, 10)
    value, d1 = divmod(value, 10)
    c0, c1 = divmod(value, 34)
    return f"{_ALPHABET[c0]}{_ALPHABET[c1]}{d1}{d2}{d3}"


def fleet_vehicle(number: int) -> FleetVehicle:
    h = mix64(number)
    prefix = _PREFIXES[bisect_right(_PREFIX_CUMULATIVE, h % 100)]
    vehicle_class = _CLASSES[bisect_right(_CLASS_CUMULATIVE, (h >> 8) % 100)]
    green = (h >> 16) % 100 < (10 if vehicle_class in _LARGE else 15)  # new-energy vehicles
    if green:  # six characters after the prefix: D (electric) or F (hybrid), then the serial
        return FleetVehicle(prefix + "DF"[(h >> 24) & 1] + serial(number), PlateColour.GREEN, vehicle_class)
    colour = PlateColour.YELLOW if vehicle_class in _LARGE else PlateColour.BLUE
    return FleetVehicle(prefix + serial(number), colour, vehicle_class)


class VehicleFleet:
    """Vehicle numbers of each checkpoint and each community, in disjoint ranges of the serial space."""

    def __init__(self, checkpoints: int, communities: int) -> None:
        per_checkpoint, per_community = VEHICLES_PER_CHECKPOINT, VEHICLES_PER_COMMUNITY
        needed = checkpoints * per_checkpoint + communities * per_community
        if needed > SERIAL_SPACE:  # a registry far beyond Ordos: fewer vehicles per place, still unique
            scale = SERIAL_SPACE / needed
            per_checkpoint = max(1, int(per_checkpoint * scale))
            per_community = max(1, int(per_community * scale))
        self.per_checkpoint = per_checkpoint
        self.per_community = per_community
        self._community_base = checkpoints * per_checkpoint

    def at_checkpoint(self, checkpoint: int, k: int) -> int:
        return checkpoint * self.per_checkpoint + k % self.per_checkpoint

    def of_community(self, community: int, k: int) -> int:
        return self._community_base + community * self.per_community + k % self.per_community


def outside_plate(rng: random.Random, prefix: str = "蒙K") -> str:
    """A plate no background vehicle has, nor looks like: for scenarios.

    It has a letter among the last three characters, and one that stays a letter when the detection rules
    fold the characters cameras confuse (B/8, D/0, ...): no background plate folds to the same text."""
    while True:
        head = rng.choice(_ALPHABET) + rng.choice(DIGITS)
        tail = [rng.choice(DIGITS) for _ in range(3)]
        tail[rng.randrange(3)] = rng.choice(PLATE_LETTERS)
        plate = prefix + head + "".join(tail)
        if not fold_plate(plate)[-3:].isdigit():
            return plate
