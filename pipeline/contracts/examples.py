"""One example message per device event type, as a device sends it; docs show them, tests validate them.

The person identifiers are invented (valid-looking, never real): this is exactly what the privacy stage
turns into tokens on arrival.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

_T = "2026-07-11T10:18:35.815+08:00"


def _env(schema: str, device_id: str, event_id: str) -> dict[str, Any]:
    return {
        "schema": schema,
        "schema_version": 1,
        "event_id": event_id,
        "device_id": device_id,
        "event_time": _T,
    }


EXAMPLES: Mapping[str, dict[str, Any]] = MappingProxyType(
    {
        "plate_read": _env("plate_read", "KK-DS-0008", "1f6575d8-c55c-4137-b9fc-621201952a25")
        | {"plate": "蒙K53UP4", "plate_colour": "blue", "direction": "outbound", "lane": 3, "speed_kmh": 34.9,
           "vehicle_class": "suv", "confidence": 0.966},
        "camera_heartbeat": _env("camera_heartbeat", "CAM-DS-000123", "hb-CAM-DS-000123-1783736315")
        | {"status": "online", "fps": 25.0, "bitrate_kbps": 4096, "uptime_s": 862_400},
        "camera_video_loss": _env("camera_video_loss", "CAM-KB-000042", "vl-7c1e2a90-0001")
        | {"channel": 1, "lost": True},
        "camera_tamper": _env("camera_tamper", "CAM-KB-000042", "tp-7c1e2a90-0002")
        | {"kind": "covered", "score": 0.92},
        "crowd_count": _env("crowd_count", "CAM-KB-000311", "cc-5d0b6f1e-0310")
        | {"zone_id": "SQ-KB-01-Z1", "count": 8450},
        "thermal_reading": _env("thermal_reading", "CAMLR-JG-004", "th-9a4c2e71-0042")
        | {"zone_id": None, "max_temp_c": 61.5, "mean_temp_c": 18.2},
        "face_capture": _env("face_capture", "FR-DS-0017", "fc-0b8e3d52-7731")
        | {"capture_id": "cap-20260711-7731", "face_template_id": "FT20260711007731",
           "candidate_id_number": "150602198703150012", "similarity": 0.87, "quality": 0.78},
        "id_verification": _env("id_verification", "IDG-RS01-02", "iv-3f9a1c44-0912")
        | {"id_number": "15062719900101002X", "name": "张丽", "face_similarity": 0.41, "result": "deny",
           "deny_reason": "face_mismatch"},
        "depot_door": _env("depot_door", "EXD-DP01-D", "dd-6e2f0a11-0008")
        | {"door": "main", "action": "open", "operator_id": "150621197512240035"},
        "depot_inventory": _env("depot_inventory", "EXD-DP01-I", "di-6e2f0a11-0009")
        | {"item": "detonator", "count": 11_800, "unit": "piece", "dispatch_id": "DSP-20260711-03"},
        "transport_position": _env("transport_position", "EXT-0007", "tr-EXT-0007-1783736315")
        | {"plate": "蒙K3E821", "permit_id": "PMT-0007", "lat": 39.7312, "lon": 110.2155, "speed_kmh": 52.0,
           "heading_deg": 118.0},
        "emergency_alarm": _env("emergency_alarm", "SCH-DS-0031-A", "ea-41b7c9d0-0001")
        | {"button_id": "guard-room", "test": False},
        "campus_access": _env("campus_access", "SCH-DS-0031-G", "ca-41b7c9d0-0452")
        | {"gate": "north", "direction": "in", "holder_kind": "parent", "holder_id": "150602198703150012",
           "granted": True},
        "person_access": _env("person_access", "COM-KB-0101-P", "pa-8d3e5f20-1180")
        | {"gate": "east", "direction": "in", "method": "card", "holder_id": "C0101004512", "granted": False,
           "deny_reason": "card expired"},
        "vehicle_access": _env("vehicle_access", "COM-KB-0101-V", "va-8d3e5f20-1181")
        | {"gate": "garage", "direction": "out", "plate": "蒙K7Q219", "granted": True, "deny_reason": None},
    }
)  # fmt: skip
