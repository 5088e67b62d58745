"""What the intake stages make of a valid device event: pseudonymised, placed, flagged (contract version 1).

Written to the family's enriched topic; the ClickHouse sink and the detection rules read it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.contracts.camera import (
    CameraHeartbeat,
    CameraTamper,
    CameraVideoLoss,
    CrowdCount,
    ThermalReading,
)
from pipeline.contracts.community import PersonAccess, VehicleAccess
from pipeline.contracts.explosives import DepotDoor, DepotInventory, TransportPosition
from pipeline.contracts.face import FaceCapture
from pipeline.contracts.id_gate import IdVerification
from pipeline.contracts.plate_read import PlateRead
from pipeline.contracts.reference import DeviceFamily, Place
from pipeline.contracts.school import CampusAccess, EmergencyAlarm

DeviceEvent = Annotated[
    PlateRead
    | CameraHeartbeat
    | CameraVideoLoss
    | CameraTamper
    | CrowdCount
    | ThermalReading
    | FaceCapture
    | IdVerification
    | DepotDoor
    | DepotInventory
    | TransportPosition
    | EmergencyAlarm
    | CampusAccess
    | PersonAccess
    | VehicleAccess,
    Field(discriminator="schema_name"),
]
"""Any device event of any family, told apart by its ``schema`` field."""


class EnrichedEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    family: DeviceFamily
    event: DeviceEvent = Field(description="The event, its person identifiers already replaced by tokens.")
    place: Place = Field(
        description=(
            "Where the device stands (events of unregistered devices are dead-lettered); for an event with"
            " its own position (transport_position) where that position is: the grid cell with the nearest"
            " centre, and the position itself."
        )
    )
    ring: str | None = Field(None, description="Checkpoint ring of the device, if any.")
    subtype: str | None = Field(None, description="The device's kind within its family.")
    site_id: str | None = Field(None, description="Site of the device, if any.")
    watchlisted: bool = Field(False, description="A plate or person token of the event is on a watch list.")
