"""Time in the simulator: local hours of Ordos, daily curves, and event time against send time.

The simulator keeps a virtual send clock: message *i* is sent at ``start + i / rate`` (the publisher paces
on the same schedule), so a stream is a pure function of seed, start and rate. A device stamps an event
before it sends it: ``event_time = send_time - delay``, with a delay of its own per device (a gateway on a
mobile link is slower than one on fibre) and jitter per event, so events of different devices arrive out
of order. A configurable share of events is *late*: buffered by the device for minutes and sent after a
reconnect.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime

from pipeline.simulate.identity import mix64

# Asia/Shanghai has kept UTC+8 without daylight saving since 1991: a constant is exact and much cheaper
# than a zoneinfo lookup per event.
LOCAL_OFFSET_S = 8 * 3600
LATE_AFTER_S = 60.0  # an event sent this long after it happened counts as late
LATE_DELAY_S = (120.0, 900.0)  # how long a late event was buffered: 2 to 15 minutes
MAX_DEVICE_DELAY_S = 3.0

# Daily curves: activity by local hour (0-23), peak 1.0.
TRAFFIC = (0.10, 0.06, 0.05, 0.05, 0.07, 0.15, 0.40, 0.85, 1.00, 0.80, 0.70, 0.72,
           0.75, 0.70, 0.68, 0.72, 0.80, 0.95, 1.00, 0.80, 0.60, 0.45, 0.30, 0.18)  # fmt: skip
PEDESTRIAN = (0.08, 0.05, 0.03, 0.03, 0.04, 0.08, 0.25, 0.60, 0.80, 0.75, 0.80, 0.90,
              0.95, 0.85, 0.80, 0.80, 0.85, 0.95, 1.00, 1.00, 0.90, 0.65, 0.35, 0.15)  # fmt: skip
TRAVEL = (0.05, 0.02, 0.01, 0.01, 0.02, 0.10, 0.45, 0.80, 0.90, 1.00, 0.95, 0.90,
          0.85, 0.85, 0.90, 0.95, 1.00, 0.95, 0.85, 0.75, 0.60, 0.45, 0.30, 0.12)  # fmt: skip
SCHOOL = (0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.05, 1.00, 0.60, 0.05, 0.05, 0.30,
          0.60, 0.40, 0.50, 0.05, 0.20, 0.90, 0.70, 0.10, 0.02, 0.00, 0.00, 0.00)  # fmt: skip
RESIDENTIAL = (0.10, 0.05, 0.03, 0.02, 0.03, 0.10, 0.45, 0.90, 0.80, 0.45, 0.40, 0.55,
               0.70, 0.55, 0.40, 0.40, 0.55, 0.85, 1.00, 0.90, 0.75, 0.55, 0.35, 0.20)  # fmt: skip
WORKING = (0.0,) * 7 + (0.6, 1.0, 1.0, 1.0, 0.8, 0.5, 0.8, 1.0, 1.0, 0.9, 0.6) + (0.0,) * 6
FLAT = (1.0,) * 24


def local_hour(ts: float) -> int:
    """The hour of the day in Ordos (Asia/Shanghai) of a Unix time."""
    return int((ts + LOCAL_OFFSET_S) // 3600) % 24


def local_seconds(ts: float) -> float:
    """Seconds since local midnight in Ordos."""
    return (ts + LOCAL_OFFSET_S) % 86400


def as_datetime(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def curve_value(curve: Sequence[float], ts: float) -> float:
    return curve[local_hour(ts)]


class DeviceDelays:
    """Per-device transmission delay and the late share; also mints the devices' event ids."""

    def __init__(self, rng: random.Random, late_share: float = 0.0) -> None:
        if not 0.0 <= late_share < 1.0:
            raise ValueError(f"late_share must be in [0, 1), got {late_share}")
        self._rng = rng
        self._late_share = late_share

    @staticmethod
    def base_delay_s(device_number: int) -> float:
        # Most devices are quick; a tail sits behind slow links (cubed uniform: 0.05 s to 3 s, mean ~0.8 s).
        u = (mix64(device_number) >> 11) / float(1 << 53)
        return 0.05 + (MAX_DEVICE_DELAY_S - 0.05) * u**3

    def stamp(self, base_delay_s: float, send_ts: float, may_be_late: bool = True) -> tuple[float, bool]:
        """(event_ts, late) of an event sent at ``send_ts`` by a device with that typical delay."""
        rng = self._rng
        if may_be_late and self._late_share and rng.random() < self._late_share:
            return send_ts - rng.uniform(*LATE_DELAY_S), True
        return send_ts - base_delay_s * (0.5 + rng.random()), False

    def event_id(self) -> str:
        """A UUID4 as text, built without the ``uuid`` module's overhead (a hot path)."""
        bits = self._rng.getrandbits(128)
        bits = (bits & ~(0xF << 76)) | (0x4 << 76)  # version 4
        bits = (bits & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
        h = f"{bits:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
