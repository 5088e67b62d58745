"""Vehicle checkpoint number-plate reads (电子卡口 and police checkpoint stations), contract version 1."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator

from pipeline.contracts.envelope import PLATE_PATTERN, EventEnvelope, clean_plate


class PlateColour(StrEnum):
    BLUE = "blue"
    YELLOW = "yellow"
    GREEN = "green"
    WHITE = "white"
    BLACK = "black"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class VehicleClass(StrEnum):
    CAR = "car"
    SUV = "suv"
    VAN = "van"
    BUS = "bus"
    TRUCK = "truck"
    MOTORCYCLE = "motorcycle"
    OTHER = "other"


class PlateRead(EventEnvelope):
    """One plate read by a checkpoint camera."""

    schema_name: Literal["plate_read"] = Field("plate_read", alias="schema", description="Event family.")
    schema_version: Literal[1] = Field(1, description="Version of this contract.")
    plate: str = Field(pattern=PLATE_PATTERN, description="Plate as read, upper case, no spaces.")
    plate_colour: PlateColour
    direction: Direction
    lane: int = Field(ge=1, le=16)
    speed_kmh: float = Field(ge=0, le=400)
    vehicle_class: VehicleClass
    confidence: float = Field(ge=0, le=1, description="Recognition confidence of the plate text.")

    @field_validator("plate", mode="before")
    @classmethod
    def _normalise_plate(cls, value: object) -> object:
        return clean_plate(value) if isinstance(value, str) else value
