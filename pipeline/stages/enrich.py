"""Enrich stage: attach the device's place, ring, subtype and site from the registry, and whether a plate
or person token of the event is on a watch list.

An event that carries its own position (``POSITIONED``: a transport's GPS fix) is placed at that position
instead, on the grid cells (``stages.locate``); it keeps its device's ring, subtype and site. The choice is
made by event type, so other events cost nothing more. Without known grid cells (no ``locator``, or an
empty ``grid_cells`` topic) such an event keeps the device's registered place, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pipeline.contracts import DeviceFamily, DeviceRecord, EnrichedEvent, PersonWatchEntry, PlateWatchEntry
from pipeline.contracts.envelope import EventEnvelope
from pipeline.errors import InvalidEvent, RejectReason
from pipeline.stages.locate import CellLocator


def enrich_event(
    event: EventEnvelope,
    family: DeviceFamily,
    devices: Mapping[str, DeviceRecord],
    plate_watchlist: Mapping[str, PlateWatchEntry],
    person_watchlist: Mapping[str, PersonWatchEntry],
    locator: CellLocator | None = None,
) -> EnrichedEvent:
    """Raise ``InvalidEvent`` for a device the registry does not know, or knows as another family: such an
    event has no place an analyst could use; it is kept in the dead-letter topic for replay."""
    device = devices.get(event.device_id)
    if device is None:
        raise InvalidEvent(
            RejectReason.UNKNOWN_DEVICE, f"device_id: {event.device_id!r} is not in the registry"
        )
    if device.family is not family:
        raise InvalidEvent(
            RejectReason.WRONG_FAMILY,
            f"device_id: {event.device_id!r} is registered as {device.family.value}, not {family.value}",
        )
    place = device.place
    if event.POSITIONED and locator is not None:
        place = locator.place_of(event.lat, event.lon) or place  # type: ignore[attr-defined]
    return EnrichedEvent.model_construct(
        family=family,
        event=event,  # type: ignore[arg-type]  # validated by the family's adapter: one of DeviceEvent
        place=place,
        ring=device.ring,
        subtype=device.subtype,
        site_id=device.site_id,
        watchlisted=is_watchlisted(event, plate_watchlist, person_watchlist),
        schema_version=1,
    )


def plate_of(event: EventEnvelope) -> str | None:
    # Asked of the class first: a missing attribute costs pydantic's __getattr__ and an exception (3 µs).
    if "plate" not in type(event).model_fields:
        return None
    plate = getattr(event, "plate", None)
    return plate if isinstance(plate, str) else None


def person_tokens(event: EventEnvelope) -> list[str]:
    """The event's person tokens, in field order (after the privacy stage these are tokens)."""
    return [value for name in event.PERSON_FIELDS if isinstance(value := getattr(event, name), str)]


def active_plate_entry(
    watchlist: Mapping[str, PlateWatchEntry], plate: str, when: datetime
) -> PlateWatchEntry | None:
    entry = watchlist.get(plate)
    return entry if entry is not None and entry.active_at(when) else None


def is_watchlisted(
    event: EventEnvelope,
    plate_watchlist: Mapping[str, PlateWatchEntry],
    person_watchlist: Mapping[str, PersonWatchEntry],
) -> bool:
    plate = plate_of(event)
    if plate is not None and active_plate_entry(plate_watchlist, plate, event.event_time) is not None:
        return True
    for token in person_tokens(event):
        entry = person_watchlist.get(token)
        if entry is not None and entry.active_at(event.event_time):
            return True
    return False
