"""The city model: Ordos's districts, patrol areas, grid cells, street police stations and checkpoints.

``build_city(profile, seed)`` returns a deterministic ``City`` whose checkpoints are the ``DeviceRecord``s of
the device registry. The numbers live in ``territory``; nothing here reads files or talks to Kafka.
"""

from pipeline.city.builder import apportion, build_city
from pipeline.city.model import City, GridCell, PatrolArea, Station
from pipeline.city.territory import DISTRICTS, PROFILES, RINGS, CityProfile, District, profile_named

__all__ = [
    "DISTRICTS",
    "PROFILES",
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
]
