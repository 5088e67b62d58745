"""The parts of ``crowd.density``'s state: one event-time window of counts, and one over-capacity episode.

A window keeps its counts (at most ``MAX_SAMPLES``, the newest) to take their median; it remembers the
ids of counts above capacity (the evidence) and the latest camera, so a detection raised when the window
closes still names a device and a place. Must not decide when a window opens, closes or fires:
``crowd_density`` does.
"""

from __future__ import annotations

from statistics import median

from pydantic import AwareDatetime, BaseModel, ConfigDict

from pipeline.contracts.alert import Severity
from pipeline.contracts.camera import CrowdCount
from pipeline.contracts.reference import DeviceFamily, Place
from pipeline.contracts.sites import CrowdZone
from pipeline.rules.base import Detection, SubjectKind, capped

MAX_SAMPLES = 120  # twenty cameras counting every 10 s


class CrowdWindow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: AwareDatetime
    counts: tuple[int, ...] = ()
    peak: int = 0
    over_event_ids: tuple[str, ...] = ()  # counts above capacity, at most max_evidence
    device_id: str | None = None  # the latest count's camera
    place: Place | None = None
    last_at: AwareDatetime | None = None
    first_over_at: AwareDatetime | None = None  # earliest count above capacity

    @property
    def samples(self) -> int:
        return len(self.counts)

    @property
    def level(self) -> float:
        """The median count: each count estimates the whole zone, and one camera's glitch must not move it."""
        return float(median(self.counts)) if self.counts else 0.0

    def add(self, count: CrowdCount, capacity: int, place: Place, max_evidence: int) -> CrowdWindow:
        over = (*self.over_event_ids, count.event_id) if count.count > capacity else self.over_event_ids
        latest = self.last_at is None or count.event_time >= self.last_at
        first_over = self.first_over_at
        if count.count > capacity and (first_over is None or count.event_time < first_over):
            first_over = count.event_time
        return self.model_copy(
            update={
                "counts": (*self.counts, count.count)[-MAX_SAMPLES:],
                "peak": max(self.peak, count.count),
                "over_event_ids": capped(over, max_evidence),
                "device_id": count.device_id if latest else self.device_id,
                "place": place if latest else self.place,
                "last_at": count.event_time if latest else self.last_at,
                "first_over_at": first_over,
            }
        )


class CrowdEpisode(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: Severity
    window_start: AwareDatetime  # the window that opened it: older windows closing late cannot clear it
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    peak_level: float
    evidence: tuple[str, ...]
    device_id: str
    place: Place | None

    @classmethod
    def open(cls, window: CrowdWindow, zone: CrowdZone, max_evidence: int) -> CrowdEpisode:
        assert window.last_at is not None and window.device_id is not None  # a window has counts
        return cls(
            severity=Severity.HIGH,
            window_start=window.start,
            first_seen=window.first_over_at or window.last_at,
            last_seen=window.last_at,
            peak_level=window.level,
            evidence=capped(window.over_event_ids, max_evidence),
            device_id=window.device_id,
            place=window.place,
        )

    def grow(self, window: CrowdWindow, max_evidence: int) -> CrowdEpisode:
        last = (
            max(self.last_seen, window.last_at)
            if window.over_event_ids and window.last_at
            else self.last_seen
        )
        return self.model_copy(
            update={
                "last_seen": last,
                "peak_level": max(self.peak_level, window.level),
                # The first ids tell when it began; keep them and fill up to the cap with later ones.
                "evidence": tuple(dict.fromkeys((*self.evidence, *window.over_event_ids)))[:max_evidence],
            }
        )


def episode_detection(
    rule: str, zone: CrowdZone, episode: CrowdEpisode, window: CrowdWindow, clears: bool
) -> Detection:
    share = window.level / zone.capacity
    if clears:
        summary = (
            f"{zone.name} ({zone.zone_id}) back to {share:.0%} of its capacity {zone.capacity:,}; "
            f"peak {episode.peak_level / zone.capacity:.0%}"
        )
    else:
        summary = (
            f"{zone.name} ({zone.zone_id}) at {share:.0%} of its capacity {zone.capacity:,} "
            f"(median {window.level:,.0f} of {window.samples} counts, peak count {window.peak:,})"
        )
    return Detection(
        rule=rule,
        severity=episode.severity,
        subject=zone.zone_id,
        subject_kind=SubjectKind.ZONE_ID,
        device_id=window.device_id or episode.device_id,
        place=window.place or episode.place,
        family=DeviceFamily.CAMERA,
        site_id=zone.site_id,
        summary=summary,
        evidence_event_ids=episode.evidence or window.over_event_ids,
        first_seen=episode.first_seen,
        last_seen=max(episode.last_seen, window.last_at or episode.last_seen),
        clears=clears,
    )
