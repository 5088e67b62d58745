"""Which events each device family sends: the registry the validate stage, the topics and the docs use.

A family's raw topic carries any of its event types, told apart by the ``schema`` field; one
``TypeAdapter`` per family validates a document against the right model in a single pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter

from pipeline.contracts.camera import (
    CameraHeartbeat,
    CameraTamper,
    CameraVideoLoss,
    CrowdCount,
    ThermalReading,
)
from pipeline.contracts.community import PersonAccess, VehicleAccess
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.explosives import DepotDoor, DepotInventory, TransportPosition
from pipeline.contracts.face import FaceCapture
from pipeline.contracts.id_gate import IdVerification
from pipeline.contracts.plate_read import PlateRead
from pipeline.contracts.reference import DeviceFamily
from pipeline.contracts.school import CampusAccess, EmergencyAlarm


@dataclass(frozen=True)
class FamilyContract:
    family: DeviceFamily
    event_types: tuple[type[EventEnvelope], ...]
    adapter: TypeAdapter[Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.event_types) == 1:
            adapter: TypeAdapter[Any] = TypeAdapter(self.event_types[0])
        else:
            # A union built at run time: mypy cannot follow it, pydantic can.
            union: Any = Union[self.event_types]  # noqa: UP007
            adapter = TypeAdapter(Annotated[union, Field(discriminator="schema_name")])
        object.__setattr__(self, "adapter", adapter)

    @property
    def schema_names(self) -> tuple[str, ...]:
        return tuple(schema_name_of(t) for t in self.event_types)


def schema_name_of(event_type: type[EventEnvelope]) -> str:
    default = event_type.model_fields["schema_name"].default
    assert isinstance(default, str)
    return default


FAMILIES: Mapping[DeviceFamily, FamilyContract] = MappingProxyType(
    {
        contract.family: contract
        for contract in (
            FamilyContract(DeviceFamily.VEHICLE_CHECKPOINT, (PlateRead,)),
            FamilyContract(
                DeviceFamily.CAMERA,
                (CameraHeartbeat, CameraVideoLoss, CameraTamper, CrowdCount, ThermalReading),
            ),
            FamilyContract(DeviceFamily.FACE_RECOGNITION, (FaceCapture,)),
            FamilyContract(DeviceFamily.ID_GATE, (IdVerification,)),
            FamilyContract(DeviceFamily.EXPLOSIVES, (DepotDoor, DepotInventory, TransportPosition)),
            FamilyContract(DeviceFamily.SCHOOL, (EmergencyAlarm, CampusAccess)),
            FamilyContract(DeviceFamily.COMMUNITY, (PersonAccess, VehicleAccess)),
        )
    }
)

EVENT_TYPES: Mapping[str, type[EventEnvelope]] = MappingProxyType(
    {schema_name_of(t): t for contract in FAMILIES.values() for t in contract.event_types}
)
"""Every event type by its ``schema`` name."""
