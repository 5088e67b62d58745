"""Civil explosives: depot doors and stock, and transport vehicles on their permitted routes."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from pipeline.contracts.envelope import PLATE_PATTERN, EventEnvelope, PersonId, clean_plate


class DoorAction(StrEnum):
    OPEN = "open"
    CLOSE = "close"


class DepotDoor(EventEnvelope):
    """A depot door opened or closed, with the badge of whoever opened it when known."""

    PERSON_FIELDS: ClassVar[tuple[str, ...]] = ("operator_id",)

    schema_name: Literal["depot_door"] = Field("depot_door", alias="schema")
    schema_version: Literal[1] = 1
    door: str = Field(min_length=1, max_length=32)
    action: DoorAction
    operator_id: PersonId | None = None


class DepotInventory(EventEnvelope):
    """A stock count of one item; a drop should match a dispatch (``dispatch_id``)."""

    schema_name: Literal["depot_inventory"] = Field("depot_inventory", alias="schema")
    schema_version: Literal[1] = 1
    item: str = Field(pattern=r"^[a-z_]{2,40}$", description="e.g. 'detonator', 'emulsion_explosive'.")
    count: int = Field(ge=0)
    unit: Literal["piece", "kg", "m"]
    dispatch_id: str | None = Field(None, description="The dispatch that explains a drop, if any.")


class TransportPosition(EventEnvelope):
    """GPS position of an explosives transport vehicle under its permit.

    The pipeline places the event at the fix (the grid cell whose centre is nearest, its patrol area,
    district and station), not at the vehicle's registered depot."""

    POSITIONED: ClassVar[bool] = True

    schema_name: Literal["transport_position"] = Field("transport_position", alias="schema")
    schema_version: Literal[1] = 1
    plate: str = Field(pattern=PLATE_PATTERN)
    permit_id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{2,39}$")
    lat: float = Field(
        ge=-90, le=90, description="Latitude of the fix (WGS-84): the event is placed here, not at the depot."
    )
    lon: float = Field(ge=-180, le=180, description="Longitude of the fix (WGS-84).")
    speed_kmh: float = Field(ge=0, le=200)
    heading_deg: float = Field(ge=0, lt=360)

    @field_validator("plate", mode="before")
    @classmethod
    def _normalise_plate(cls, value: object) -> object:
        return clean_plate(value) if isinstance(value, str) else value
