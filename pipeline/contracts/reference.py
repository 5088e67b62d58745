"""Reference data published on compacted topics: the device registry and the plate watch list."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from pipeline.contracts.envelope import DEVICE_ID_PATTERN, PLATE_PATTERN, clean_plate


class DeviceFamily(StrEnum):
    """The device families of the brief; each has its raw topic and its contracts."""

    VEHICLE_CHECKPOINT = "vehicle_checkpoint"  # electronic checkpoints (电子卡口), police checkpoint stations
    CAMERA = "camera"  # video cameras, including the long-range ones (千里眼)
    FACE_RECOGNITION = "face_recognition"
    ID_GATE = "id_gate"  # exit ID-verification gates at stations and the airport, checkpoint stations
    EXPLOSIVES = "explosives"  # civil-explosives depots and transport vehicles
    SCHOOL = "school"  # one-key emergency buttons and campus gates
    COMMUNITY = "community"  # smart residential communities' person and vehicle access control


class Place(BaseModel):
    """Where a device stands in the city's organisation of territory."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    district: str = Field(description="District or banner (旗区), e.g. 'Dongsheng'.")
    patrol_area: str = Field(description="Large patrol area id, e.g. 'PA-03'.")
    grid_cell: str = Field(description="Grid cell (单元格) id, e.g. 'GC-0123'.")
    station: str = Field(description="Responsible police station.")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class DeviceRecord(BaseModel):
    """One registered device; key of the registry topic is ``device_id``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    device_id: str = Field(pattern=DEVICE_ID_PATTERN)
    family: DeviceFamily
    name: str
    place: Place
    ring: str | None = Field(
        None, description="Checkpoint ring the device closes (city, core, banner), if any."
    )
    subtype: str | None = Field(
        None, description="Kind within the family, e.g. 'long_range' camera, 'checkpoint_station' checkpoint."
    )
    site_id: str | None = Field(
        None, description="Site the device belongs to (school, community, depot, station exit, square)."
    )


class PlateWatchEntry(BaseModel):
    """One plate on the watch list; key of the watch-list topic is the plate, a tombstone removes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plate: str = Field(pattern=PLATE_PATTERN)
    category: str = Field(description="Why the plate is watched: wanted, stolen, suspect, ...")
    reason: str = Field(max_length=500, description="Free text for the operator.")
    priority: int = Field(2, ge=1, le=4, description="1 is most urgent.")
    expires_at: AwareDatetime | None = Field(None, description="After this time the entry no longer matches.")

    @field_validator("plate", mode="before")
    @classmethod
    def _normalise_plate(cls, value: object) -> object:
        return clean_plate(value) if isinstance(value, str) else value

    def active_at(self, when: datetime) -> bool:
        return self.expires_at is None or when < self.expires_at
