"""What a checkpoint camera reads of a vehicle, shared by the plate-read streams: plate characters, the
vehicle a watched plate is guessed to be, and read confidence. Pure functions of a ``random.Random``.

The background vehicles themselves (Ordos's mix of plates, colours and classes) are ``fleet``'s.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pipeline.contracts.plate_read import PlateColour, VehicleClass

PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # I and O are never issued: they read as 1 and 0
DIGITS = "0123456789"


@dataclass(frozen=True)
class Vehicle:
    """What a checkpoint camera sees of one vehicle."""

    plate: str
    colour: PlateColour
    vehicle_class: VehicleClass


def vehicle_for_plate(plate: str) -> Vehicle:
    """A plausible vehicle for a given (watched) plate, guessing colour and class from its format."""
    if plate.endswith("挂"):
        return Vehicle(plate, PlateColour.YELLOW, VehicleClass.TRUCK)
    if len(plate) == 8:  # only new-energy plates have six characters after the prefix
        return Vehicle(plate, PlateColour.GREEN, VehicleClass.CAR)
    return Vehicle(plate, PlateColour.BLUE, VehicleClass.CAR)


def random_confidence(rng: random.Random) -> float:
    # Most reads are clean; dirt, night and glare give a tail of low-confidence reads.
    if rng.random() < 0.05:
        return round(rng.uniform(0.4, 0.8), 3)
    return round(min(0.999, rng.gauss(0.95, 0.025)), 3)
