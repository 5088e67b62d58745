"""Every threshold and window of the detection rules, in one frozen object with documented defaults.

Resolved once at start and passed to each rule's constructor; rules never read the environment. Every
field is also a ``WARMCITY_RULES_<FIELD>`` environment variable (durations in seconds), built from this
class in ``pipeline/settings.py``. This module must not import Faust, Kafka or any rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

WATCHLIST_PLATE = "watchlist.plate"
WATCHLIST_PERSON = "watchlist.person"
WATCHLIST_FACE = "watchlist.face"


@dataclass(frozen=True)
class RuleSettings:
    # watchlist.face: a capture matches when the candidate is listed and similarity >= this.
    face_similarity_min: float = 0.9
    # id_gate.face_mismatch: live face against the card's photo strictly below this.
    id_face_mismatch_below: float = 0.6
    # id_gate.repeated_denials: this many denials of one person within the window (any gate).
    id_denials_min: int = 3
    id_denials_window: timedelta = timedelta(minutes=10)
    # access.repeated_denials: this many denials at one gate device within the window.
    access_denials_min: int = 5
    access_denials_window: timedelta = timedelta(minutes=5)

    # plate.cloned: two reads farther apart than this, at a speed strictly above clone_speed_kmh.
    clone_speed_kmh: float = 250.0
    clone_min_distance_km: float = 20.0
    plate_history: timedelta = timedelta(hours=2)  # reads of a plate kept for comparison
    plate_history_max: int = 8
    # watchlist.plate: the trajectory of a watched plate kept for ring control.
    trajectory_window: timedelta = timedelta(hours=12)
    trajectory_max: int = 20

    # crowd.density: tumbling event-time windows per zone, their allowed lateness and hysteresis.
    crowd_window: timedelta = timedelta(seconds=60)
    crowd_lateness: timedelta = timedelta(seconds=120)
    crowd_min_samples: int = 3  # counts a window needs before it may fire early (before it closes)
    crowd_clear_ratio: float = 0.9  # a closed window at or below this share of capacity clears
    crowd_critical_ratio: float = 1.5  # a window level (median count) at or above this share: critical

    # explosives: depot hours are local time; transport corridor and stops.
    local_timezone: str = "Asia/Shanghai"
    corridor_clear_ratio: float = 0.8  # back inside this share of the corridor clears an off-corridor alert
    stop_speed_kmh: float = 2.0  # at or below: the vehicle stands
    stop_exempt_radius_m: float = 500.0  # stops this close to the depot or destination are allowed
    default_max_stop_minutes: float = 20.0  # for a vehicle whose permit is unknown
    transport_forget_after: timedelta = timedelta(hours=12)

    # device health.
    offline_after: timedelta = timedelta(seconds=180)
    video_loss_after: timedelta = timedelta(seconds=180)  # a loss must last this long to alert
    video_loss_memory: timedelta = timedelta(minutes=30)  # restored channels remembered (late events)
    tamper_min_score: float = 0.5
    device_forget_after: timedelta = timedelta(days=7)

    # corroboration.incident: hits on one subject from different device families at one site.
    corroboration_window: timedelta = timedelta(minutes=10)
    corroboration_radius_m: float = 300.0  # "one site" for devices without a site id
    corroboration_rules: frozenset[str] = field(
        default_factory=lambda: frozenset({WATCHLIST_PLATE, WATCHLIST_PERSON, WATCHLIST_FACE})
    )

    max_evidence: int = 50  # event ids a detection or a state carries at most

    def __post_init__(self) -> None:
        for name in ("face_similarity_min", "id_face_mismatch_below", "tamper_min_score"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {getattr(self, name)}")
        for name in ("id_denials_min", "access_denials_min", "crowd_min_samples", "max_evidence"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0.0 < self.crowd_clear_ratio <= 1.0 < self.crowd_critical_ratio:
            raise ValueError("crowd ratios must satisfy 0 < clear <= 1 < critical")
        if not 0.0 < self.corridor_clear_ratio <= 1.0:
            raise ValueError("corridor_clear_ratio must be within (0, 1]")
        if self.crowd_window <= timedelta(0):
            raise ValueError("crowd_window must be positive")
        ZoneInfo(self.local_timezone)  # an unknown zone fails here, at start, not on the first door

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.local_timezone)
