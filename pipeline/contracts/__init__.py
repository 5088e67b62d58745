"""Versioned pydantic v2 contracts: what devices send, what the pipeline derives, and the reference data."""

from pipeline.contracts.alert import Alert, Severity
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.plate_read import (
    Direction,
    EnrichedPlateRead,
    PlateColour,
    PlateRead,
    VehicleClass,
)
from pipeline.contracts.reference import DeviceRecord, Place, PlateWatchEntry

__all__ = [
    "Alert",
    "DeviceRecord",
    "Direction",
    "EnrichedPlateRead",
    "EventEnvelope",
    "Place",
    "PlateColour",
    "PlateRead",
    "PlateWatchEntry",
    "Severity",
    "VehicleClass",
]
