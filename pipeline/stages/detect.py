"""Detection rules on enriched plate reads: each a pure function, event and state in, alert or None."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime

from pipeline.contracts import Alert, EnrichedEvent, PlateRead, PlateWatchEntry, Severity
from pipeline.stages.enrich import active_plate_entry

WATCHLIST_PLATE_RULE = "watchlist.plate"

_SEVERITY_BY_PRIORITY = {1: Severity.CRITICAL, 2: Severity.HIGH, 3: Severity.MEDIUM, 4: Severity.LOW}


def alert_id_for(rule: str, *evidence_event_ids: str) -> str:
    """Stable id from the rule and its evidence, so a replayed event yields the very same alert."""
    digest = hashlib.blake2b("|".join((rule, *evidence_event_ids)).encode(), digest_size=10).hexdigest()
    return f"al-{digest}"


def detect_watchlisted_plate(
    enriched: EnrichedEvent, watchlist: Mapping[str, PlateWatchEntry], now: datetime
) -> Alert | None:
    read = enriched.event
    if not isinstance(read, PlateRead):
        return None
    entry = active_plate_entry(watchlist, read.plate, read.event_time)
    if entry is None:
        return None
    severity = _SEVERITY_BY_PRIORITY[entry.priority]
    # Crossing a checkpoint ring makes a wanted vehicle more urgent: the ring is where it can be stopped.
    if enriched.ring is not None and severity is not Severity.CRITICAL:
        severity = list(Severity)[severity.rank - 1]
    return Alert(
        alert_id=alert_id_for(WATCHLIST_PLATE_RULE, read.event_id),
        rule=WATCHLIST_PLATE_RULE,
        severity=severity,
        subject=read.plate,
        device_id=read.device_id,
        place=enriched.place,
        summary=(
            f"plate {read.plate} on watch list ({entry.category}: {entry.reason}); "
            f"{read.direction.value} lane {read.lane}, {read.speed_kmh:.0f} km/h, {read.vehicle_class.value}"
        ),
        evidence_event_ids=(read.event_id,),
        first_seen=read.event_time,
        last_seen=read.event_time,
        raised_at=now,
    )
