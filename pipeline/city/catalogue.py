"""Named places of Ordos the city model uses by name: the 'two stations one airport' exits and the squares.

The brief counts 27 stations and airports whose exits verify IDs (两站一场) and names the Kangbashi music
square, where about 30,000 visitors gathered on 1 May 2024. Which stations those 27 are is not in the
brief; the list below is a plausible one (every banner's bus station, the main rail stations, the airport).
Profiles take the first n entries, so the order puts one of each kind first. Ids are written out here
because they must not depend on the seed.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.contracts.sites import SiteKind


@dataclass(frozen=True)
class StationExit:
    """A rail station, bus station or airport whose exits have ID-verification gates."""

    site_id: str
    kind: SiteKind
    district_code: str
    name: str
    gates: int  # exit lanes with a gate; busier exits have more
    lat: float | None = None  # None: placed in the district's town by the seeded builder
    lon: float | None = None


@dataclass(frozen=True)
class CrowdZoneSpec:
    name: str
    share: float  # of the square's capacity


@dataclass(frozen=True)
class Square:
    """A public square watched for crowd density, split into crowd zones."""

    site_id: str
    district_code: str
    name: str
    capacity: int  # people the whole square holds safely
    zones: tuple[CrowdZoneSpec, ...]


_AIRPORT, _RAIL, _BUS = SiteKind.AIRPORT, SiteKind.RAIL_STATION, SiteKind.BUS_STATION

STATION_EXITS: tuple[StationExit, ...] = (
    StationExit("AP-YJ-01", _AIRPORT, "YJ", "Ordos Ejin Horo International Airport", 6, 39.49, 109.86),
    StationExit("RS-KB-01", _RAIL, "KB", "Kangbashi Railway Station", 4),
    StationExit("BS-DS-01", _BUS, "DS", "Dongsheng Long-Distance Bus Station", 4),
    StationExit("RS-YJ-01", _RAIL, "YJ", "Ordos Railway Station", 5),
    StationExit("RS-DS-01", _RAIL, "DS", "Dongsheng West Railway Station", 4),
    StationExit("RS-DS-02", _RAIL, "DS", "Dongsheng Railway Station", 3),
    StationExit("RS-YJ-02", _RAIL, "YJ", "Aletengxire Railway Station", 2),
    StationExit("RS-ZG-01", _RAIL, "ZG", "Xuejiawan Railway Station", 3),
    StationExit("RS-ZG-02", _RAIL, "ZG", "Dalu Railway Station", 2),
    StationExit("RS-DL-01", _RAIL, "DL", "Shulinzhao Railway Station", 3),
    StationExit("RS-ET-01", _RAIL, "ET", "Ulan Town Railway Station", 2),
    StationExit("RS-WS-01", _RAIL, "WS", "Galutu Railway Station", 2),
    StationExit("BS-DS-02", _BUS, "DS", "Dongsheng North Bus Station", 2),
    StationExit("BS-DS-03", _BUS, "DS", "Dongsheng South Bus Station", 2),
    StationExit("BS-KB-01", _BUS, "KB", "Kangbashi Bus Station", 3),
    StationExit("BS-KB-02", _BUS, "KB", "Kangbashi North Bus Station", 2),
    StationExit("BS-YJ-01", _BUS, "YJ", "Ejin Horo Bus Station", 3),
    StationExit("BS-YJ-02", _BUS, "YJ", "Ejin Horo East Bus Station", 2),
    StationExit("BS-ZG-01", _BUS, "ZG", "Xuejiawan Bus Station", 3),
    StationExit("BS-ZG-02", _BUS, "ZG", "Dalu Bus Station", 2),
    StationExit("BS-DL-01", _BUS, "DL", "Dalad Bus Station", 3),
    StationExit("BS-DL-02", _BUS, "DL", "Dalad West Bus Station", 2),
    StationExit("BS-ET-01", _BUS, "ET", "Otog Bus Station", 2),
    StationExit("BS-EQ-01", _BUS, "EQ", "Otog Front Bus Station", 2),
    StationExit("BS-WS-01", _BUS, "WS", "Uxin Bus Station", 2),
    StationExit("BS-HJ-01", _BUS, "HJ", "Hanggin Bus Station", 2),
    StationExit("BS-HJ-02", _BUS, "HJ", "Hanggin North Bus Station", 2),
)

_Z = CrowdZoneSpec

SQUARES: tuple[Square, ...] = (
    Square(
        "SQ-KB-01",
        "KB",
        "Kangbashi Music Square",
        30_000,
        (
            _Z("stage front", 0.30),
            _Z("fountain east", 0.20),
            _Z("fountain west", 0.20),
            _Z("Ulan Mulun riverside lawn", 0.15),
            _Z("north entrance", 0.08),
            _Z("south entrance", 0.07),
        ),
    ),
    Square(
        "SQ-KB-02",
        "KB",
        "Genghis Khan Square",
        20_000,
        (_Z("central axis", 0.4), _Z("east wing", 0.3), _Z("west wing", 0.3)),
    ),
    Square(
        "SQ-DS-01",
        "DS",
        "Dongsheng People's Square",
        15_000,
        (_Z("main lawn", 0.5), _Z("plaza", 0.3), _Z("bus stop side", 0.2)),
    ),
    Square("SQ-YJ-01", "YJ", "Ejin Horo Central Square", 8_000, (_Z("plaza", 0.6), _Z("park edge", 0.4))),
)
