"""Video cameras: heartbeats on a cadence, crowd counts over the squares, thermal readings, video loss.

Heartbeats are not drawn from the mix like other events: every heartbeating camera sends one exactly every
``HEARTBEAT_PERIOD_S`` of event time (never late, so a background camera never looks offline). They take
their share of the rate first; if the rate is too low for every camera, only some cameras heartbeat (spread
over the registry), the others stay silent from the start: they never *stop*, so they never go offline.
Crowd counts stay at most ~70% of a zone's capacity; each count is the camera's estimate of the whole zone.
Tamper events are scenario-only (``tamper_document``): any tamper in the stream is meant to raise an alert.
"""

from __future__ import annotations

import heapq
import math
import random
import zlib
from collections.abc import Mapping, Sequence

from pipeline.contracts.camera import CameraStatus, TamperKind
from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.contracts.sites import CrowdZone
from pipeline.simulate.identity import mix64
from pipeline.simulate.streams import Document, EventStream, GeneratedEvent, device_delay, envelope
from pipeline.simulate.timing import FLAT, PEDESTRIAN, DeviceDelays, local_seconds

HEARTBEAT_PERIOD_S = 60.0
HEARTBEAT_MAX_SHARE = 0.25  # at most this share of the rate goes to heartbeats
CROWD_COUNT_EVERY_S = 10.0
THERMAL_EVERY_S = 30.0
VIDEO_LOSS_EVERY_S = 12 * 3600.0  # one short loss a camera every twelve hours
BACKGROUND_OCCUPANCY_MAX = 0.7  # crowd counts never exceed this share of a zone's capacity
# Monthly mean temperature in Ordos, degrees C (January first): the ambient of thermal readings.
_MONTHLY_MEAN_C = (-11.0, -7.0, 0.0, 9.0, 16.0, 20.0, 22.0, 20.0, 14.0, 7.0, -2.0, -9.0)


def heartbeat_document(document: Document, long_range: bool, uptime_s: int, degraded: bool) -> Document:
    fps = 15.0 if long_range else 25.0
    document.update(
        status=(CameraStatus.DEGRADED if degraded else CameraStatus.ONLINE).value,
        fps=fps / 2 if degraded else fps,
        bitrate_kbps=(8192 if long_range else 4096) // (4 if degraded else 1),
        uptime_s=uptime_s,
    )
    return document


def tamper_document(document: Document, kind: TamperKind, score: float) -> Document:
    document.update(kind=kind.value, score=score)
    return document


def boot_ts(device_id: str, start_ts: float) -> float:
    """When the camera last booted: an hour to 90 days before the simulation started."""
    return start_ts - 3600.0 - mix64(zlib.crc32(device_id.encode())) % (90 * 86400)


class HeartbeatSchedule:
    """Every heartbeating camera's next beat, in the order they are due to be sent."""

    def __init__(
        self,
        rng: random.Random,
        delays: DeviceDelays,
        cameras: Sequence[DeviceRecord],
        start_ts: float,
        rate_per_s: float,
    ) -> None:
        capacity = int(HEARTBEAT_MAX_SHARE * rate_per_s * HEARTBEAT_PERIOD_S)
        stride = max(1.0, len(cameras) / max(1, capacity))
        self.cameras = tuple(cameras[int(i * stride)] for i in range(min(len(cameras), capacity)))
        self._rng, self._delays = rng, delays
        gap = HEARTBEAT_PERIOD_S / max(1, len(self.cameras))
        self._due: list[tuple[float, float, int]] = []
        self._camera_delay = [device_delay(c) for c in self.cameras]
        self._boot = [boot_ts(c.device_id, start_ts) for c in self.cameras]
        self._long_range = [(c.subtype or "") == "long_range" for c in self.cameras]
        for index in range(len(self.cameras)):
            event_ts = start_ts + index * gap  # spread over the first minute
            self._due.append((event_ts + self._camera_delay[index], event_ts, index))
        heapq.heapify(self._due)

    @property
    def rate_per_s(self) -> float:
        return len(self.cameras) / HEARTBEAT_PERIOD_S

    def due(self, send_ts: float) -> GeneratedEvent | None:
        """The next heartbeat if it is due by ``send_ts``."""
        if not self._due or self._due[0][0] > send_ts:
            return None
        _, event_ts, index = self._due[0]
        jitter = self._camera_delay[index] * (0.5 + self._rng.random())
        heapq.heapreplace(
            self._due, (event_ts + HEARTBEAT_PERIOD_S + jitter, event_ts + HEARTBEAT_PERIOD_S, index)
        )
        camera = self.cameras[index]
        document = envelope(self._delays.event_id(), camera.device_id, event_ts, "camera_heartbeat")
        degraded = self._rng.random() < 0.015  # a dirty lens, a congested uplink
        heartbeat_document(document, self._long_range[index], int(event_ts - self._boot[index]), degraded)
        return GeneratedEvent(DeviceFamily.CAMERA, "camera_heartbeat", camera.device_id, document, event_ts)


def zone_occupancy(zone_id: str, ts: float) -> float:
    """Share of capacity a square's zone holds in normal times: follows people's day, never above 0.7."""
    hours = local_seconds(ts) / 3600.0
    low, high = PEDESTRIAN[int(hours)], PEDESTRIAN[(int(hours) + 1) % 24]
    day = low + (high - low) * (hours % 1.0)  # smooth between the hourly values
    wave = 1.0 + 0.06 * math.sin(ts / 600.0 + zlib.crc32(zone_id.encode()) % 7)
    return min(BACKGROUND_OCCUPANCY_MAX / 1.04, 0.04 + 0.56 * day * wave)


class CrowdCountStream(EventStream):
    family = DeviceFamily.CAMERA
    schema = "crowd_count"
    curve = FLAT  # counting runs day and night

    def __init__(
        self,
        rng: random.Random,
        delays: DeviceDelays,
        zone_cameras: Mapping[str, Sequence[DeviceRecord]],
        zones: Sequence[CrowdZone],
    ) -> None:
        capacity = {zone.zone_id: zone.capacity for zone in zones}
        pairs = [(zone_id, c) for zone_id, cams in zone_cameras.items() if zone_id in capacity for c in cams]
        super().__init__(rng, delays, [camera for _, camera in pairs])
        self._zones = tuple((zone_id, capacity[zone_id]) for zone_id, _ in pairs)

    def peak_rate(self) -> float:
        return len(self._devices) / CROWD_COUNT_EVERY_S

    def make(self, send_ts: float) -> GeneratedEvent | None:
        index = self._pick()
        document, event_ts, late = self._start(index, send_ts)
        zone_id, capacity = self._zones[index]
        noise = 1.0 + 0.04 * (2.0 * self._rng.random() - 1.0)
        document.update(zone_id=zone_id, count=int(capacity * zone_occupancy(zone_id, event_ts) * noise))
        return self._event(index, document, event_ts, late)


class ThermalStream(EventStream):
    family = DeviceFamily.CAMERA
    schema = "thermal_reading"
    curve = FLAT

    def __init__(
        self,
        rng: random.Random,
        delays: DeviceDelays,
        cameras: Sequence[DeviceRecord],
        zone_of: Mapping[str, str],
    ) -> None:
        super().__init__(rng, delays, cameras)
        self._zone_of = zone_of

    def peak_rate(self) -> float:
        return len(self._devices) / THERMAL_EVERY_S

    def make(self, send_ts: float) -> GeneratedEvent | None:
        rng = self._rng
        index = self._pick()
        document, event_ts, late = self._start(index, send_ts)
        month = int(document["event_time"].month) - 1
        daily = 4.0 * math.sin((local_seconds(event_ts) / 86400.0 - 0.375) * 2 * math.pi)  # warmest ~15:00
        mean = round(_MONTHLY_MEAN_C[month] + daily + rng.gauss(2.0, 1.5), 1)
        # The hottest spot in view: people (~34 C skin), engines, now and then a boiler chimney.
        hottest = max(mean + 3.0, rng.choice((34.0, 36.5, 48.0, 65.0)) + rng.gauss(0.0, 2.0))
        document.update(
            zone_id=self._zone_of.get(self._ids[index]), max_temp_c=round(hottest, 1), mean_temp_c=mean
        )
        return self._event(index, document, event_ts, late)


class VideoLossStream(EventStream):
    """A channel's video drops (``lost``) and comes back 5-120 s later: a pair, the second a follow-up."""

    family = DeviceFamily.CAMERA
    schema = "camera_video_loss"
    curve = FLAT

    def peak_rate(self) -> float:
        return len(self._devices) / VIDEO_LOSS_EVERY_S

    def make(self, send_ts: float) -> GeneratedEvent | None:
        index = self._pick()
        document, event_ts, late = self._start(index, send_ts)
        channel = 1 + int(self._rng.random() * 2)
        document.update(channel=channel, lost=True)
        back_ts = event_ts + self._rng.uniform(5.0, 120.0)
        restored = envelope(self._delays.event_id(), self._ids[index], back_ts, self.schema)
        restored.update(channel=channel, lost=False)
        follow_up = GeneratedEvent(self.family, self.schema, self._ids[index], restored, back_ts)
        return GeneratedEvent(self.family, self.schema, self._ids[index], document, event_ts, late, follow_up)
