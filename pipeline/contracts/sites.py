"""Reference data about places and permissions, published on compacted topics next to the device registry.

Sites (schools, communities, depots, station exits, squares), the grid cells of the territory, crowd zones
with their capacity, depots' permitted opening hours and stock, explosives transport permits with their
corridor, and the person watch list. The person watch list holds only tokens: the same keyed HMAC the
pipeline applies to identifiers.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from pipeline.contracts.envelope import PLATE_PATTERN, TOKEN_PATTERN, clean_plate
from pipeline.contracts.reference import Place

_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class SiteKind(StrEnum):
    SCHOOL = "school"
    COMMUNITY = "community"
    DEPOT = "depot"
    BLASTING_SITE = "blasting_site"
    RAIL_STATION = "rail_station"
    BUS_STATION = "bus_station"
    AIRPORT = "airport"
    CHECKPOINT_STATION = "checkpoint_station"
    SQUARE = "square"


class _Reference(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Site(_Reference):
    """A place several devices belong to; key ``site_id``."""

    site_id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{2,39}$")
    kind: SiteKind
    name: str
    place: Place


class GridCellRecord(_Reference):
    """A grid cell (单元格) of the territory and what a place in it answers to. Key ``grid_cell_id``.

    A worker places an event that carries its own position (a transport's GPS fix) in the cell whose
    centre is nearest; the cell's patrol area, district and station complete that place."""

    schema_version: Literal[1] = 1
    grid_cell_id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{2,39}$", description="e.g. 'GC-0123'.")
    patrol_area: str = Field(min_length=1, description="Large patrol area the cell belongs to, e.g. 'PA-03'.")
    district: str = Field(min_length=1, description="District or banner (旗区), e.g. 'Dongsheng'.")
    station: str = Field(
        min_length=1, description="Street police station responsible for the cell (its district's nearest)."
    )
    lat: float = Field(ge=-90, le=90, description="Latitude of the cell's centre.")
    lon: float = Field(ge=-180, le=180, description="Longitude of the cell's centre.")


class CrowdZone(_Reference):
    """An area watched for crowd density; camera crowd counts name it. Key ``zone_id``."""

    zone_id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{2,39}$")
    site_id: str
    name: str
    capacity: int = Field(gt=0, description="People the zone holds safely.")


class GeoPoint(_Reference):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class DepotRecord(_Reference):
    """A civil-explosives depot: when its doors may open (local time, Asia/Shanghai) and its nominal stock."""

    depot_id: str = Field(description="The depot's site id.")
    permitted_hours: tuple[str, ...] = Field(
        description="Windows like '08:00-12:00'; outside them, no opening."
    )
    stock: dict[str, int] = Field(description="Item -> count expected on hand.")

    @field_validator("permitted_hours")
    @classmethod
    def _windows(cls, windows: tuple[str, ...]) -> tuple[str, ...]:
        for window in windows:
            if not _WINDOW.match(window):
                raise ValueError(f"window {window!r} is not HH:MM-HH:MM")
        return windows

    def windows(self) -> list[tuple[time, time]]:
        parsed = []
        for window in self.permitted_hours:
            start, end = window.split("-")
            end_time = time.max if end == "24:00" else time.fromisoformat(end)
            parsed.append((time.fromisoformat(start), end_time))
        return parsed


class TransportPermit(_Reference):
    """An approved explosives transport: vehicle, route corridor and validity. Key ``permit_id``."""

    permit_id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{2,39}$")
    plate: str = Field(pattern=PLATE_PATTERN)
    depot_id: str
    destination_site_id: str
    route: tuple[GeoPoint, ...] = Field(min_length=2, description="Polyline the vehicle must follow.")
    corridor_m: float = Field(gt=0, description="Allowed distance from the route, metres.")
    max_stop_minutes: float = Field(gt=0, description="Longest permitted stop outside the depot and site.")
    valid_from: AwareDatetime
    valid_to: AwareDatetime

    @field_validator("plate", mode="before")
    @classmethod
    def _normalise_plate(cls, value: object) -> object:
        return clean_plate(value) if isinstance(value, str) else value

    def valid_at(self, when: datetime) -> bool:
        return self.valid_from <= when < self.valid_to


class PersonWatchEntry(_Reference):
    """A watched person, by token only. Key ``subject_token``; a tombstone removes the entry."""

    subject_token: str = Field(pattern=TOKEN_PATTERN)
    category: str = Field(description="wanted, fugitive, missing, suspect, ...")
    reason: str = Field(max_length=500)
    priority: int = Field(2, ge=1, le=4)
    expires_at: AwareDatetime | None = None

    def active_at(self, when: datetime) -> bool:
        return self.expires_at is None or when < self.expires_at
