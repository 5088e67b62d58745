"""Camera scenarios: a crowd surge over a square's zone, a camera that goes silent, a camera whose video is
lost for minutes, a camera tampered with.

``crowd-surge`` takes over one zone's crowd counts for the run: normal counts from the start, then a rise
from the usual level to 135% of capacity over three minutes, a minute at the top, a fall back to 80% and
normal counts for five more minutes. ``camera-offline`` sends one camera's heartbeats on the usual cadence
from the start and stops them a minute after it begins; the alert is due once three cadences passed.
``camera-video-loss`` takes one street camera's video-loss events for the run: a short drop on channel 2
that comes back within the rule's grace period (everyday noise: no alert), then channel 1 lost for six
minutes; the alert is due once the loss lasted longer than ``video_loss_after`` (180 s).
"""

from __future__ import annotations

from pipeline.contracts.alert import Severity
from pipeline.contracts.camera import TamperKind
from pipeline.contracts.reference import DeviceFamily, DeviceRecord
from pipeline.rules.settings import RuleSettings
from pipeline.simulate.background import Reservations
from pipeline.simulate.cameras import (
    CROWD_COUNT_EVERY_S,
    HEARTBEAT_PERIOD_S,
    boot_ts,
    heartbeat_document,
    tamper_document,
    zone_occupancy,
)
from pipeline.simulate.scenarios.base import GroundTruth, Injection, ScenarioContext, ScenarioError, at

RISE_S, TOP_S, FALL_S, AFTER_S = 180.0, 60.0, 120.0, 300.0
PEAK_OCCUPANCY = 1.35
OFFLINE_AFTER_CADENCES = 3
VIDEO_LOSS_AFTER_S = RuleSettings().video_loss_after.total_seconds()  # the rule's grace period (180 s)
SHORT_DROP_S = 40.0  # channel 2: back well within the grace period
LONG_LOSS_AT_S, LONG_LOSS_S = 90.0, 360.0  # channel 1: lost 90 s after the scenario begins, for 6 minutes


def _crowd_level(normal: float, since: float) -> float:
    """Share of capacity ``since`` seconds after the surge began."""
    if since < 0:
        return normal
    if since < RISE_S:
        return normal + (PEAK_OCCUPANCY - normal) * since / RISE_S
    if since < RISE_S + TOP_S:
        return PEAK_OCCUPANCY
    if since < RISE_S + TOP_S + FALL_S:
        return PEAK_OCCUPANCY - (PEAK_OCCUPANCY - 0.8) * (since - RISE_S - TOP_S) / FALL_S
    return min(0.8, normal)


def crowd_surge(ctx: ScenarioContext, begin_ts: float) -> Injection:
    name = "crowd-surge"
    cameras_of = ctx.world.zone_cameras()
    zones = [z for z in ctx.world.crowd_zones if cameras_of.get(z.zone_id)]
    if not zones:
        raise ScenarioError("crowd-surge needs a crowd zone with cameras over it")
    zone = max(zones, key=lambda z: z.capacity)  # the main stage of the biggest square: the May Day case
    cameras = cameras_of[zone.zone_id]
    injection = Injection(name, reserved=Reservations(zone_ids=frozenset({zone.zone_id})))
    over: list[tuple[str, str, float]] = []
    end_ts = begin_ts + RISE_S + TOP_S + FALL_S + AFTER_S
    for number, camera in enumerate(cameras):
        event_ts = ctx.start_ts + number * CROWD_COUNT_EVERY_S / len(cameras)
        while event_ts < end_ts:
            level = _crowd_level(zone_occupancy(zone.zone_id, event_ts), event_ts - begin_ts)
            count = int(zone.capacity * level * (1.0 + 0.02 * (ctx.rng.random() - 0.5)))
            document = ctx.document(camera.device_id, event_ts, "crowd_count")
            document.update(zone_id=zone.zone_id, count=count)
            injection.messages.append(ctx.send(name, DeviceFamily.CAMERA, document, camera))
            if count > zone.capacity:
                over.append((str(document["event_id"]), camera.device_id, event_ts))
            event_ts += CROWD_COUNT_EVERY_S
    over.sort(key=lambda item: item[2])
    injection.ground_truth.append(
        GroundTruth(
            scenario=name,
            rule="crowd.density",
            subject=zone.zone_id,
            subject_kind="zone_id",
            device_ids=tuple(sorted({device_id for _, device_id, _ in over})),
            evidence_event_ids=tuple(event_id for event_id, _, _ in over),
            trigger_event_id=over[0][0],
            first_event_time=at(over[0][2]),
            last_event_time=at(over[-1][2]),
            severity=Severity.HIGH,
            site_id=zone.site_id,
            zone_id=zone.zone_id,
            note=f"capacity {zone.capacity}, peak {PEAK_OCCUPANCY:.0%}; one alert per surge; any evidence",
        )
    )
    return injection


def _plain_cameras(ctx: ScenarioContext) -> list[DeviceRecord]:
    # Street cameras: not over a crowd zone or a depot, so nothing else of theirs is in play.
    cameras = ctx.devices(DeviceFamily.CAMERA, lambda d: d.site_id is None and d.subtype != "long_range")
    return cameras or ctx.devices(DeviceFamily.CAMERA)


def camera_offline(ctx: ScenarioContext, begin_ts: float) -> Injection:
    name = "camera-offline"
    camera = ctx.choose(_plain_cameras(ctx), "camera")
    injection = Injection(name, reserved=Reservations(device_ids=frozenset({camera.device_id})))
    booted = boot_ts(camera.device_id, ctx.start_ts)
    event_ts, last = ctx.start_ts + ctx.rng.uniform(0.0, HEARTBEAT_PERIOD_S), None
    while event_ts <= begin_ts + HEARTBEAT_PERIOD_S:
        document = ctx.document(camera.device_id, event_ts, "camera_heartbeat")
        heartbeat_document(document, False, int(event_ts - booted), degraded=False)
        last = ctx.send(name, DeviceFamily.CAMERA, document, camera)
        injection.messages.append(last)
        event_ts += HEARTBEAT_PERIOD_S
    assert last is not None and last.message.event_id and last.message.event_time
    silent_ts = last.message.event_time.timestamp() + OFFLINE_AFTER_CADENCES * HEARTBEAT_PERIOD_S
    injection.ground_truth.append(
        GroundTruth(
            scenario=name,
            rule="device.offline",
            subject=camera.device_id,
            subject_kind="device_id",
            device_ids=(camera.device_id,),
            evidence_event_ids=(last.message.event_id,),
            trigger_event_id=last.message.event_id,
            first_event_time=last.message.event_time,
            last_event_time=last.message.event_time,
            severity=Severity.MEDIUM,
            expected_after=at(silent_ts),
            note=f"last heartbeat, then silence: {OFFLINE_AFTER_CADENCES} x {HEARTBEAT_PERIOD_S:g} s",
        )
    )
    return injection


def camera_video_loss(ctx: ScenarioContext, begin_ts: float) -> Injection:
    name = "camera-video-loss"
    camera = ctx.choose(_plain_cameras(ctx), "camera")
    # Reserved: the background sends none of its events (no losses of its own, no heartbeats: a camera that
    # never heartbeats is never judged offline, so only its video is in question).
    injection = Injection(name, reserved=Reservations(device_ids=frozenset({camera.device_id})))
    lost_ts = begin_ts + LONG_LOSS_AT_S
    changes = (
        (2, True, begin_ts),
        (2, False, begin_ts + SHORT_DROP_S),
        (1, True, lost_ts),
        (1, False, lost_ts + LONG_LOSS_S),
    )
    loss_id = ""
    for channel, lost, event_ts in changes:
        document = ctx.document(camera.device_id, event_ts, "camera_video_loss")
        document.update(channel=channel, lost=lost)
        injection.messages.append(ctx.send(name, DeviceFamily.CAMERA, document, camera))
        if channel == 1 and lost:
            loss_id = str(document["event_id"])
    injection.ground_truth.append(
        GroundTruth(
            scenario=name,
            rule="device.video_loss",
            subject=camera.device_id,
            subject_kind="device_id",
            device_ids=(camera.device_id,),
            evidence_event_ids=(loss_id,),
            trigger_event_id=loss_id,
            first_event_time=at(lost_ts),
            last_event_time=at(lost_ts),
            severity=Severity.MEDIUM,
            expected_after=at(lost_ts + VIDEO_LOSS_AFTER_S),
            note=f"channel 1 lost for {LONG_LOSS_S / 60:g} min (alert after {VIDEO_LOSS_AFTER_S:g} s); "
            f"channel 2's {SHORT_DROP_S:g} s drop before it raises nothing",
        )
    )
    return injection


def camera_tamper(ctx: ScenarioContext, begin_ts: float) -> Injection:
    name = "camera-tamper"
    camera = ctx.choose(_plain_cameras(ctx), "camera")
    document = ctx.document(camera.device_id, begin_ts, "camera_tamper")
    tamper_document(document, TamperKind.SPRAYED, 0.96)
    # Nothing else of the camera's is reserved: its background heartbeats go on (tampered is not offline).
    injection = Injection(name)
    injection.messages.append(ctx.send(name, DeviceFamily.CAMERA, document, camera))
    event_id = str(document["event_id"])
    injection.ground_truth.append(
        GroundTruth.of_event(
            scenario=name,
            rule="device.tamper",
            subject=camera.device_id,
            subject_kind="device_id",
            device_id=camera.device_id,
            event_id=event_id,
            event_ts=begin_ts,
            severity=Severity.HIGH,
            note="sprayed, score 0.96",
        )
    )
    return injection
