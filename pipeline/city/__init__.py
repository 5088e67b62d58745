"""The city model: Ordos's territory (districts, patrol areas, grid cells, stations) and its device registry.

``build_city(profile, seed)`` returns a deterministic ``City``: devices of every family as ``DeviceRecord``s
of the registry, and the sites, crowd zones, depots and transport permits of the other reference topics.
The numbers live in ``territory``, ``profiles`` and ``catalogue``; nothing here reads files or talks to
Kafka. See docs/city.md.
"""

from pipeline.city.builder import build_city
from pipeline.city.ground import apportion
from pipeline.city.model import City, GridCell, PatrolArea, Station
from pipeline.city.profiles import PROFILES, CityProfile, profile_named
from pipeline.city.records import REFERENCE_KEYS, reference_records, registry_digest
from pipeline.city.territory import DISTRICTS, RINGS, District

__all__ = [
    "DISTRICTS",
    "PROFILES",
    "REFERENCE_KEYS",
    "RINGS",
    "City",
    "CityProfile",
    "District",
    "GridCell",
    "PatrolArea",
    "Station",
    "apportion",
    "build_city",
    "profile_named",
    "reference_records",
    "registry_digest",
]
