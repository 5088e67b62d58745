"""Realistic vehicles for Ordos checkpoints: plate text, plate colour, vehicle class, speed, lane, confidence.

The mix follows what a checkpoint in Ordos sees: mostly local 蒙K plates, some from Hohhot, Baotou and the
neighbouring provinces (Yulin's 陕K, Shanxi, Ningxia); blue plates for private cars, yellow for trucks, buses
and motorcycles, green for new-energy vehicles. Pure functions of a ``random.Random``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pipeline.contracts.plate_read import PlateColour, VehicleClass

PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # I and O are never issued: they read as 1 and 0
DIGITS = "0123456789"

# Where the vehicles come from: Ordos (蒙K) first, then the cities and provinces with most traffic to it.
_PREFIXES = ("蒙K", "蒙B", "蒙A", "陕K", "晋A", "宁A", "蒙L", "陕A", "甘A", "京A", "冀A")
_PREFIX_WEIGHTS = (78, 5, 4, 4, 2, 2, 1, 1, 1, 1, 1)

# Coal and construction trucks are a large share of traffic on Ordos's trunk roads.
_CLASSES = tuple(VehicleClass)
_CLASS_WEIGHTS = {
    VehicleClass.CAR: 52,
    VehicleClass.SUV: 25,
    VehicleClass.VAN: 6,
    VehicleClass.BUS: 3,
    VehicleClass.TRUCK: 11,
    VehicleClass.MOTORCYCLE: 2,
    VehicleClass.OTHER: 1,
}
_LARGE = frozenset({VehicleClass.TRUCK, VehicleClass.BUS})


@dataclass(frozen=True)
class Vehicle:
    """What a checkpoint camera sees of one vehicle."""

    plate: str
    colour: PlateColour
    vehicle_class: VehicleClass


def random_vehicle(rng: random.Random) -> Vehicle:
    """A vehicle with a plate whose format fits its colour and class."""
    vehicle_class = rng.choices(_CLASSES, weights=[_CLASS_WEIGHTS[c] for c in _CLASSES])[0]
    prefix = rng.choices(_PREFIXES, weights=_PREFIX_WEIGHTS)[0]
    roll = rng.random()
    if vehicle_class in _LARGE:
        if roll < 0.1:  # new-energy buses and trucks
            return Vehicle(
                prefix + rng.choice("DF") + _serial(rng, 5, letters=0.0), PlateColour.GREEN, vehicle_class
            )
        if vehicle_class is VehicleClass.TRUCK and roll < 0.2:  # trailer: four characters and 挂
            return Vehicle(prefix + _serial(rng, 4) + "挂", PlateColour.YELLOW, vehicle_class)
        return Vehicle(prefix + _serial(rng, 5), PlateColour.YELLOW, vehicle_class)
    if vehicle_class is VehicleClass.MOTORCYCLE:
        return Vehicle(prefix + _serial(rng, 5), PlateColour.YELLOW, vehicle_class)
    if roll < 0.15:  # small new-energy cars: D (electric) or F (hybrid), then five characters
        return Vehicle(prefix + rng.choice("DF") + _serial(rng, 5), PlateColour.GREEN, vehicle_class)
    if roll < 0.153:  # police cars: white plates ending in 警
        return Vehicle(prefix + _serial(rng, 4, letters=0.0) + "警", PlateColour.WHITE, vehicle_class)
    return Vehicle(prefix + _serial(rng, 5), PlateColour.BLUE, vehicle_class)


def vehicle_for_plate(plate: str) -> Vehicle:
    """A plausible vehicle for a given (watched) plate, guessing colour and class from its format."""
    if plate.endswith("挂"):
        return Vehicle(plate, PlateColour.YELLOW, VehicleClass.TRUCK)
    if len(plate) == 8:  # only new-energy plates have six characters after the prefix
        return Vehicle(plate, PlateColour.GREEN, VehicleClass.CAR)
    return Vehicle(plate, PlateColour.BLUE, VehicleClass.CAR)


def random_speed_kmh(rng: random.Random, vehicle_class: VehicleClass, highway: bool) -> float:
    mean = 85.0 if highway else 45.0
    if vehicle_class in _LARGE:
        mean *= 0.8
    return round(min(180.0, max(0.0, rng.gauss(mean, mean * 0.2))), 1)


def random_lane(rng: random.Random, highway: bool) -> int:
    return rng.randint(1, 4 if highway else 3)


def random_confidence(rng: random.Random) -> float:
    # Most reads are clean; dirt, night and glare give a tail of low-confidence reads.
    if rng.random() < 0.05:
        return round(rng.uniform(0.4, 0.8), 3)
    return round(min(0.999, rng.gauss(0.95, 0.025)), 3)


def _serial(rng: random.Random, length: int, letters: float = 0.2) -> str:
    return "".join(
        rng.choice(PLATE_LETTERS) if rng.random() < letters else rng.choice(DIGITS) for _ in range(length)
    )
