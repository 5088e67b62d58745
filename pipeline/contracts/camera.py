"""Video cameras, including long-range ones (千里眼): status, video loss, tamper, crowd counts, thermal."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from pipeline.contracts.envelope import EventEnvelope


class CameraStatus(StrEnum):
    ONLINE = "online"
    DEGRADED = "degraded"


class TamperKind(StrEnum):
    COVERED = "covered"
    MOVED = "moved"
    DEFOCUSED = "defocused"
    SPRAYED = "sprayed"


class CameraHeartbeat(EventEnvelope):
    """Sent on a cadence (default every 60 s); its absence is what 'offline' means."""

    schema_name: Literal["camera_heartbeat"] = Field("camera_heartbeat", alias="schema")
    schema_version: Literal[1] = 1
    status: CameraStatus
    fps: float = Field(ge=0, le=240)
    bitrate_kbps: int = Field(ge=0, le=200_000)
    uptime_s: int = Field(ge=0)


class CameraVideoLoss(EventEnvelope):
    """The video signal of a channel was lost (``lost=True``) or came back (``lost=False``)."""

    schema_name: Literal["camera_video_loss"] = Field("camera_video_loss", alias="schema")
    schema_version: Literal[1] = 1
    channel: int = Field(ge=1, le=64)
    lost: bool


class CameraTamper(EventEnvelope):
    """The camera's own analytics believe it was covered, moved, defocused or sprayed."""

    schema_name: Literal["camera_tamper"] = Field("camera_tamper", alias="schema")
    schema_version: Literal[1] = 1
    kind: TamperKind
    score: float = Field(ge=0, le=1, description="Confidence of the tamper detection.")


class CrowdCount(EventEnvelope):
    """People counted in a crowd zone (see the crowd-zone reference topic for its capacity)."""

    schema_name: Literal["crowd_count"] = Field("crowd_count", alias="schema")
    schema_version: Literal[1] = 1
    zone_id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{2,39}$")
    count: int = Field(ge=0, le=1_000_000)


class ThermalReading(EventEnvelope):
    """A thermal-imaging frame summary: the hottest and mean temperature in view."""

    schema_name: Literal["thermal_reading"] = Field("thermal_reading", alias="schema")
    schema_version: Literal[1] = 1
    zone_id: str | None = Field(None, pattern=r"^[A-Z0-9][A-Z0-9-]{2,39}$")
    max_temp_c: float = Field(ge=-60, le=1500)
    mean_temp_c: float = Field(ge=-60, le=1500)
