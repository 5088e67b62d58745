"""Enrich stage: attach the device's place from the registry and whether the plate is watched."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pipeline.contracts import DeviceRecord, EnrichedPlateRead, PlateRead, PlateWatchEntry
from pipeline.errors import InvalidEvent, RejectReason


def enrich_plate_read(
    read: PlateRead,
    devices: Mapping[str, DeviceRecord],
    watchlist: Mapping[str, PlateWatchEntry],
) -> EnrichedPlateRead:
    """Raise ``InvalidEvent(UNKNOWN_DEVICE)`` for a device the registry does not know: such a read has no
    place, and an analyst could not use it; it is kept in the dead-letter topic for replay."""
    device = devices.get(read.device_id)
    if device is None:
        raise InvalidEvent(
            RejectReason.UNKNOWN_DEVICE, f"device_id: {read.device_id!r} is not in the registry"
        )
    return EnrichedPlateRead(
        read=read,
        place=device.place,
        ring=device.ring,
        watchlisted=active_entry(watchlist, read.plate, read.event_time) is not None,
    )


def active_entry(
    watchlist: Mapping[str, PlateWatchEntry], plate: str, when: datetime
) -> PlateWatchEntry | None:
    entry = watchlist.get(plate)
    return entry if entry is not None and entry.active_at(when) else None
