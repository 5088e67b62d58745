"""Versioned pydantic v2 contracts: what devices send, what the pipeline derives, and the reference data."""

from pipeline.contracts.alert import Alert, Severity
from pipeline.contracts.enriched import DeviceEvent, EnrichedEvent
from pipeline.contracts.envelope import EventEnvelope
from pipeline.contracts.plate_read import Direction, PlateColour, PlateRead, VehicleClass
from pipeline.contracts.reference import DeviceFamily, DeviceRecord, Place, PlateWatchEntry
from pipeline.contracts.sites import PersonWatchEntry

__all__ = [
    "Alert",
    "DeviceEvent",
    "DeviceFamily",
    "DeviceRecord",
    "Direction",
    "EnrichedEvent",
    "EventEnvelope",
    "PersonWatchEntry",
    "Place",
    "PlateColour",
    "PlateRead",
    "PlateWatchEntry",
    "Severity",
    "VehicleClass",
]
