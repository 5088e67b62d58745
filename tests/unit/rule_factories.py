"""Builders of enriched events, reference records and rule runs for the rules' unit tests.

Every builder has defaults that make a valid, unremarkable event; a test changes only what it is about.
``run`` feeds events through a rule as the worker will (state per key, through JSON after every step),
so every test also checks that state survives the changelog.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from pipeline.contracts.camera import (
    CameraHeartbeat,
    CameraStatus,
    CameraTamper,
    CameraVideoLoss,
    CrowdCount,
    TamperKind,
)
from pipeline.contracts.community import AccessMethod, PersonAccess, VehicleAccess
from pipeline.contracts.enriched import EnrichedEvent
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.explosives import DepotDoor, DepotInventory, DoorAction, TransportPosition
from pipeline.contracts.face import FaceCapture
from pipeline.contracts.families import FAMILIES
from pipeline.contracts.id_gate import DenyReason, GateResult, IdVerification
from pipeline.contracts.plate_read import Direction, PlateColour, PlateRead, VehicleClass
from pipeline.contracts.reference import Place, PlateWatchEntry
from pipeline.contracts.school import AccessDirection, CampusAccess, EmergencyAlarm, HolderKind
from pipeline.contracts.sites import (
    CrowdZone,
    DepotRecord,
    GeoPoint,
    PersonWatchEntry,
    Site,
    SiteKind,
    TransportPermit,
)
from pipeline.rules.base import Detection, Rule, dump_state, load_state
from pipeline.rules.references import References

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Ordos
LAT, LON = 39.5, 110.0
M_PER_DEG_LAT = 111_195.08  # on the sphere the rules use
_FAMILY_OF = {name: f.family for f in FAMILIES.values() for name in f.schema_names}
_ids = itertools.count(1)


def at(seconds: float = 0.0, minutes: float = 0.0) -> datetime:
    return T0 + timedelta(seconds=seconds, minutes=minutes)


def token(number: int) -> str:
    return f"pt_{number:024x}"


def new_id() -> str:
    return f"ev-{next(_ids):08d}"


def place(lat: float = LAT, lon: float = LON) -> Place:
    return Place(
        district="Kangbashi", patrol_area="PA-03", grid_cell="GC-0016", station="ST-03", lat=lat, lon=lon
    )


def north_of(lat: float, metres: float) -> float:
    return lat + metres / M_PER_DEG_LAT


def enriched(
    event: EventEnvelope,
    *,
    ring: str | None = None,
    site_id: str | None = None,
    lat: float = LAT,
    lon: float = LON,
    subtype: str | None = None,
) -> EnrichedEvent:
    return EnrichedEvent(
        family=_FAMILY_OF[event.schema_name],
        event=event,
        place=place(lat, lon),
        ring=ring,
        subtype=subtype,
        site_id=site_id,
    )


def _envelope(device_id: str, when: datetime, event_id: str | None) -> dict[str, Any]:
    return {"event_id": event_id or new_id(), "device_id": device_id, "event_time": when}


def plate_read(
    plate: str = "蒙K12345",
    when: datetime = T0,
    device_id: str = "KK-DS-0001",
    ring: str | None = None,
    lat: float = LAT,
    lon: float = LON,
    confidence: float = 0.97,
    event_id: str | None = None,
) -> EnrichedEvent:
    read = PlateRead(
        **_envelope(device_id, when, event_id),
        plate=plate,
        plate_colour=PlateColour.BLUE,
        direction=Direction.INBOUND,
        lane=1,
        speed_kmh=60.0,
        vehicle_class=VehicleClass.CAR,
        confidence=confidence,
    )
    return enriched(read, ring=ring, lat=lat, lon=lon)


def vehicle_access(
    plate: str = "蒙K12345", when: datetime = T0, granted: bool = True, device_id: str = "CM-KB-01-VB1"
) -> EnrichedEvent:
    event = VehicleAccess(
        **_envelope(device_id, when, None),
        gate="main",
        direction=AccessDirection.IN,
        plate=plate,
        granted=granted,
        deny_reason=None if granted else "unregistered_vehicle",
    )
    return enriched(event, site_id="CM-KB-01")


def heartbeat(
    when: datetime = T0, device_id: str = "CAM-KB-0001", event_id: str | None = None
) -> EnrichedEvent:
    event = CameraHeartbeat(
        **_envelope(device_id, when, event_id),
        status=CameraStatus.ONLINE,
        fps=25.0,
        bitrate_kbps=4096,
        uptime_s=3600,
    )
    return enriched(event)


def video_loss(
    lost: bool, when: datetime = T0, channel: int = 1, device_id: str = "CAM-KB-0001"
) -> EnrichedEvent:
    return enriched(CameraVideoLoss(**_envelope(device_id, when, None), channel=channel, lost=lost))


def tamper(score: float = 0.96, when: datetime = T0, device_id: str = "CAM-KB-0001") -> EnrichedEvent:
    return enriched(CameraTamper(**_envelope(device_id, when, None), kind=TamperKind.SPRAYED, score=score))


def crowd_count(
    count: int, when: datetime = T0, zone_id: str = "SQ-KB-01-Z1", device_id: str = "CAM-KB-0002"
) -> EnrichedEvent:
    return enriched(
        CrowdCount(**_envelope(device_id, when, None), zone_id=zone_id, count=count), site_id="SQ-KB-01"
    )


def face_capture(
    candidate: str | None = None,
    similarity: float | None = None,
    when: datetime = T0,
    device_id: str = "FR-KB-0001",
    site_id: str | None = "RS-KB-01",
    lat: float = LAT,
    lon: float = LON,
) -> EnrichedEvent:
    event = FaceCapture(
        **_envelope(device_id, when, None),
        capture_id="cap-0001",
        face_template_id=token(999),
        candidate_id_number=candidate,
        similarity=similarity,
        quality=0.8,
    )
    return enriched(event, site_id=site_id, lat=lat, lon=lon)


def id_check(
    id_number: str = token(1),
    similarity: float = 0.9,
    deny: DenyReason | None = None,
    when: datetime = T0,
    device_id: str = "IDG-RS-KB-01-01",
    site_id: str | None = "RS-KB-01",
) -> EnrichedEvent:
    event = IdVerification(
        **_envelope(device_id, when, None),
        id_number=id_number,
        name=token(2),
        face_similarity=similarity,
        result=GateResult.PASS if deny is None else GateResult.DENY,
        deny_reason=deny,
    )
    return enriched(event, site_id=site_id)


def depot_door(
    when: datetime = T0,
    action: DoorAction = DoorAction.OPEN,
    operator: str | None = token(7),
    site_id: str = "DEP-YJ-01",
) -> EnrichedEvent:
    event = DepotDoor(
        **_envelope("EXD-YJ-01-DOOR", when, None), door="main", action=action, operator_id=operator
    )
    return enriched(event, site_id=site_id)


def inventory(
    count: int, when: datetime = T0, item: str = "detonator", dispatch_id: str | None = None
) -> EnrichedEvent:
    event = DepotInventory(
        **_envelope("EXD-YJ-01-INV", when, None),
        item=item,
        count=count,
        unit="piece",
        dispatch_id=dispatch_id,
    )
    return enriched(event, site_id="DEP-YJ-01")


def position(
    lat: float = LAT,
    lon: float = 110.05,
    when: datetime = T0,
    speed: float = 45.0,
    plate: str = "蒙KW9346",
    permit_id: str = "PMT-0001",
) -> EnrichedEvent:
    event = TransportPosition(
        **_envelope("EXT-0001", when, None),
        plate=plate,
        permit_id=permit_id,
        lat=lat,
        lon=lon,
        speed_kmh=speed,
        heading_deg=90.0,
    )
    return enriched(event, site_id="DEP-YJ-01")


def alarm(test: bool = False, when: datetime = T0, site_id: str | None = "SC-KB-01") -> EnrichedEvent:
    return enriched(
        EmergencyAlarm(**_envelope("SCH-KB-01-BTN", when, None), button_id="BTN-1", test=test),
        site_id=site_id,
    )


def person_access(
    granted: bool = False, when: datetime = T0, device_id: str = "CM-KB-01-PG1", holder: str | None = None
) -> EnrichedEvent:
    event = PersonAccess(
        **_envelope(device_id, when, None),
        gate="main",
        direction=AccessDirection.IN,
        method=AccessMethod.CARD,
        holder_id=holder or token(40),
        granted=granted,
        deny_reason=None if granted else "card_not_registered",
    )
    return enriched(event, site_id="CM-KB-01")


def campus_access(granted: bool = False, when: datetime = T0, holder: str | None = None) -> EnrichedEvent:
    event = CampusAccess(
        **_envelope("SCH-KB-01-GATE", when, None),
        gate="main",
        direction=AccessDirection.IN,
        holder_kind=HolderKind.PUPIL,
        holder_id=holder,
        granted=granted,
    )
    return enriched(event, site_id="SC-KB-01")


def plate_entry(plate: str = "蒙K12345", priority: int = 2, **changes: Any) -> PlateWatchEntry:
    return PlateWatchEntry(
        plate=plate, category="wanted", reason="robbery suspect", priority=priority, **changes
    )


def person_entry(subject: str = token(1), priority: int = 1, **changes: Any) -> PersonWatchEntry:
    return PersonWatchEntry(
        subject_token=subject, category="fugitive", reason="escaped custody", priority=priority, **changes
    )


def depot(
    hours: tuple[str, ...] = ("08:00-12:00", "14:00-18:00"), stock: dict[str, int] | None = None
) -> DepotRecord:
    return DepotRecord(depot_id="DEP-YJ-01", permitted_hours=hours, stock=stock or {"detonator": 10_000})


ROUTE = (GeoPoint(lat=LAT, lon=110.0), GeoPoint(lat=LAT, lon=110.1), GeoPoint(lat=LAT, lon=110.2))


def permit(**changes: Any) -> TransportPermit:
    fields: dict[str, Any] = {
        "permit_id": "PMT-0001",
        "plate": "蒙KW9346",
        "depot_id": "DEP-YJ-01",
        "destination_site_id": "BLS-YJ-01",
        "route": ROUTE,
        "corridor_m": 500.0,
        "max_stop_minutes": 20.0,
        "valid_from": datetime(2026, 1, 1, tzinfo=UTC),
        "valid_to": datetime(2028, 1, 1, tzinfo=UTC),
    }
    fields.update(changes)
    return TransportPermit(**fields)


def explosives_sites() -> list[Site]:
    return [
        Site(site_id="DEP-YJ-01", kind=SiteKind.DEPOT, name="depot 1", place=place(LAT, 110.0)),
        Site(site_id="BLS-YJ-01", kind=SiteKind.BLASTING_SITE, name="mine 1", place=place(LAT, 110.2)),
    ]


def zone(capacity: int = 1000, zone_id: str = "SQ-KB-01-Z1") -> CrowdZone:
    return CrowdZone(zone_id=zone_id, site_id="SQ-KB-01", name="stage front", capacity=capacity)


def refs(**records: Iterable[Any]) -> References:
    return References.from_records(**records)


def roundtrip(rule: Rule[Any, Any], state: Any) -> Any:
    """The state as the table gives it back: through JSON bytes, as the changelog stores it."""
    raw = dump_state(state)
    back = load_state(rule, None if raw is None else orjson.loads(orjson.dumps(raw)))
    assert back == state, "state must survive JSON unchanged"
    return back


class Table:
    """The worker in miniature: one state per key, every state through JSON after every step."""

    def __init__(self, rule: Rule[Any, Any], references: References | None = None) -> None:
        self.rule = rule
        self.refs = references or References()
        self.states: dict[str, Any] = {}
        self.detections: list[Detection] = []

    def feed(self, *items: Any) -> list[Detection]:
        found: list[Detection] = []
        for item in items:
            key = self.rule.key(item)
            if key is None:
                continue
            state, detections = self.rule.apply(self.states.get(key), item, self.refs)
            self._store(key, state)
            found += detections
        self.detections += found
        return found

    def tick(self, now: datetime) -> list[Detection]:
        found: list[Detection] = []
        for key in list(self.states):
            state, detections = self.rule.tick(self.states[key], key, now, self.refs)
            self._store(key, state)
            found += detections
        self.detections += found
        return found

    def _store(self, key: str, state: Any) -> None:
        if state is None:
            self.states.pop(key, None)
        else:
            self.states[key] = roundtrip(self.rule, state)

    def state_bytes(self) -> int:
        return sum(len(orjson.dumps(dump_state(s))) for s in self.states.values())
