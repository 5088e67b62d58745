"""The saved queries analysts run with ``warmcity query NAME`` (docs/analysts.md shows each with output).

Every query reads what the ``*_dedup`` and ``*_totals`` views read, so replayed inserts change no result:
a ReplacingMergeTree table with ``FINAL`` and a filter on its sorting key, or an AggregatingMergeTree
table through its ``-Merge`` functions. They name the tables rather than the views because ClickHouse
18.16 does not push a WHERE into a view: through ``plate_reads_by_plate_dedup`` one plate's lookup
reads the whole table, and through ``device_hourly_totals`` a one-day window aggregates all of history.
Small views (alerts_dedup, device_status_current) are read as they are.

Each SQL text is constant and runs on 18.16 and on current releases: old-analyzer rules apply (no
output alias equal to a column inside another aggregate, aliases on joined subqueries, ANY on joins).
An optional filter is ``(%(x)s = '' OR column = %(x)s)``; the hourly tables count every hour that
overlaps the window ``[--from, --to)``.
"""

from __future__ import annotations

from pipeline.analytics.params import Param, ParamKind, choice_filter, limit, text_filter, window
from pipeline.analytics.saved import SavedQueries, SavedQuery
from pipeline.contracts import DeviceFamily, Severity
from pipeline.contracts.envelope import PLATE_PATTERN, clean_plate

# The hours of an hourly view that overlap [start, end).
_HOURS = "hour >= toStartOfHour(toDateTime(%(start)s, 'UTC')) AND hour < toDateTime(%(end)s, 'UTC')"
_EVENT_TIMES = "event_time >= toDateTime(%(start)s, 'UTC') AND event_time < toDateTime(%(end)s, 'UTC')"
_FAMILIES = tuple(family.value for family in DeviceFamily)
_SEVERITIES = tuple(severity.value for severity in Severity)  # most urgent first
_SEVERITY_LIST = "[" + ", ".join(f"'{s}'" for s in _SEVERITIES) + "]"

_district = text_filter("district", "Only this district, e.g. Dongsheng.")
_family = choice_filter("family", "Only this device family.", _FAMILIES)

BUSIEST_CHECKPOINTS = SavedQuery(
    name="busiest-checkpoints",
    description="Checkpoints by plate reads in a window, busiest first (checkpoint_hourly).",
    details="One row per checkpoint: its reads in the window, the reads of watch-listed plates, its "
    "busiest hour, the highest speed read and the hours it read at all.",
    params=(
        *window(),
        _district,
        text_filter("ring", "Only checkpoints on this ring: core, city or banner."),
        limit(20),
    ),
    sql=f"""
SELECT device_id, station, ring, district, sum(hour_reads) AS reads,
       sum(hour_watchlisted) AS watchlisted_reads, max(hour_reads) AS busiest_hour_reads,
       round(toFloat64(max(hour_max_speed)), 1) AS max_speed_kmh, count() AS active_hours
FROM
(
    SELECT hour, device_id, station, ring, district, uniqExactMerge(reads) AS hour_reads,
           uniqExactIfMerge(watchlisted) AS hour_watchlisted, maxMerge(max_speed_kmh) AS hour_max_speed
    FROM checkpoint_hourly
    WHERE {_HOURS}
      AND (%(district)s = '' OR district = %(district)s)
      AND (%(ring)s = '' OR ring = %(ring)s)
    GROUP BY hour, device_id, station, ring, district
)
GROUP BY device_id, station, ring, district
ORDER BY reads DESC, device_id
LIMIT %(limit)s
""",
)

PLATE_TRAJECTORY = SavedQuery(
    name="plate-trajectory",
    description="Where one plate was read, in time order (plate_reads_by_plate).",
    details="One row per read of the plate: time (UTC), checkpoint, its station, ring and district, "
    "the direction of travel and whether the plate was on a watch list then. The plate is normalised "
    "like the contracts do (spaces, dots and dashes removed, upper case).",
    params=(
        Param(
            "plate",
            ParamKind.TEXT,
            "The plate, e.g. 蒙K8A888.",
            pattern=PLATE_PATTERN,
            shape="a plate: 5 to 10 letters, digits or Chinese characters",
            normalise=clean_plate,
        ),
        *window("-7d"),
        limit(1000),
    ),
    sql=f"""
SELECT event_time, device_id, station, ring, district, patrol_area, grid_cell, direction, lat, lon,
       watchlisted
FROM plate_reads_by_plate FINAL
WHERE plate = %(plate)s AND {_EVENT_TIMES}
ORDER BY event_time, event_ms, event_id
LIMIT %(limit)s
""",
)

ALERTS_BY_DISTRICT = SavedQuery(
    name="alerts-by-district",
    description="Alerts per day (UTC) and district, by severity (alerts_dedup).",
    details="One row per day of first_seen and district: the alerts raised, split by severity, how many "
    "are not resolved yet and how many escalated. Alerts without a place have an empty district.",
    params=(
        *window("-7d"),
        _district,
        text_filter("rule", "Only this rule, e.g. watchlist.plate (docs/rules.md)."),
        choice_filter("severity", "This severity and the more urgent ones.", _SEVERITIES, "low"),
    ),
    sql=f"""
SELECT toDate(first_seen) AS day, district, count() AS alerts,
       countIf(severity = 'critical') AS critical, countIf(severity = 'high') AS high,
       countIf(severity = 'medium') AS medium, countIf(severity = 'low') AS low,
       countIf(state != 'resolved') AS unresolved, countIf(escalated = 1) AS escalated
FROM alerts_dedup
WHERE first_seen >= toDateTime(%(start)s, 'UTC') AND first_seen < toDateTime(%(end)s, 'UTC')
  AND (%(district)s = '' OR district = %(district)s)
  AND (%(rule)s = '' OR rule = %(rule)s)
  AND indexOf({_SEVERITY_LIST}, severity) BETWEEN 1 AND indexOf({_SEVERITY_LIST}, %(severity)s)
GROUP BY day, district
ORDER BY day, alerts DESC, district
""",
)

DEVICE_UPTIME = SavedQuery(
    name="device-uptime",
    description="Minutes each device was heard from in a window, least first (device_hourly).",
    details="One row per device ever heard from (device_status_current): the minutes with at least one "
    "event in the window, the minutes in the window, their ratio, its events there and when it was last "
    "heard from at all. The window is the whole hours that overlap [--from, --to), up to now; a device "
    "silent in all of them has uptime 0.",
    params=(*window(), _family, _district, limit(50)),
    sql=f"""
SELECT family, device_id, district, minutes_heard AS active_minutes, window_minutes,
       round(100 * minutes_heard / window_minutes, 1) AS uptime_pct, events_heard AS events, last_seen
FROM
(
    SELECT family, device_id, district, last_seen,
           greatest(1, dateDiff('minute', toStartOfHour(toDateTime(%(start)s, 'UTC')),
                                least(toStartOfHour(toDateTime(%(end)s, 'UTC') - 1) + 3600,
                                      toDateTime(%(now)s, 'UTC')))) AS window_minutes
    FROM device_status_current
    WHERE (%(family)s = '' OR family = %(family)s) AND (%(district)s = '' OR district = %(district)s)
) AS heard
ANY LEFT JOIN
(
    SELECT family, device_id, district, uniqExactMerge(active_minutes) AS minutes_heard,
           uniqExactMerge(events) AS events_heard
    FROM device_hourly
    WHERE {_HOURS}
      AND (%(family)s = '' OR family = %(family)s) AND (%(district)s = '' OR district = %(district)s)
    GROUP BY family, device_id, district
) AS active USING (family, device_id, district)
ORDER BY uptime_pct, family, device_id
LIMIT %(limit)s
""",
)

CROWD_PEAKS = SavedQuery(
    name="crowd-peaks",
    description="Crowd zones by their highest count in a window, fullest first (crowd_hourly).",
    details="One row per crowd zone: the highest count any of its cameras reported in the window, when "
    "and by which camera, and how many readings there were.",
    params=(*window(), text_filter("zone", "Only this crowd zone, e.g. SQ-KB-01-Z1."), _district, limit(20)),
    sql=f"""
SELECT zone_id, district, grid_cell, max(hour_peak) AS peak_count, argMax(hour_peak_at, hour_peak) AS peak_at,
       argMax(device, hour_peak) AS device_id, sum(hour_readings) AS readings
FROM
(
    SELECT hour, zone_id, device_id AS device, district, grid_cell, maxMerge(peak_count) AS hour_peak,
           argMaxMerge(peak_at) AS hour_peak_at, uniqExactMerge(readings) AS hour_readings
    FROM crowd_hourly
    WHERE {_HOURS}
      AND (%(zone)s = '' OR zone_id = %(zone)s)
      AND (%(district)s = '' OR district = %(district)s)
    GROUP BY hour, zone_id, device, district, grid_cell
)
GROUP BY zone_id, district, grid_cell
ORDER BY peak_count DESC, zone_id
LIMIT %(limit)s
""",
)

FAMILY_VOLUME = SavedQuery(
    name="family-volume",
    description="Events per hour and device family (cell_hourly).",
    details="One row per hour and family: its events, those that matched a watch list, and the devices "
    "heard from in that hour.",
    params=(*window(), _family, limit(1000)),
    sql=f"""
SELECT hour, family, uniqExactMerge(events) AS events, uniqExactIfMerge(watchlisted) AS watchlisted,
       uniqExactMerge(devices) AS devices
FROM cell_hourly
WHERE {_HOURS} AND (%(family)s = '' OR family = %(family)s)
GROUP BY hour, family
ORDER BY hour, family
LIMIT %(limit)s
""",
)

SUBJECT_EVENTS = SavedQuery(
    name="subject-events",
    description="One person's events across families, in time order (device_events_by_subject).",
    details="One row per event naming the token: ID checks, face matches, community and school access. "
    "Tokens are the pt_... pseudonyms the intake makes; raw identifiers are never stored.",
    params=(
        Param(
            "token",
            ParamKind.TEXT,
            "The person token, e.g. pt_0123456789abcdef01234567.",
            pattern=r"pt_[0-9a-f]{24}",
            shape="a person token: pt_ and 24 hex digits",
            normalise=lambda text: text.strip().lower(),
        ),
        *window("-7d"),
        limit(1000),
    ),
    sql=f"""
SELECT event_time, family, schema, subtype, device_id, site_id, district, grid_cell, watchlisted
FROM device_events_by_subject FINAL
WHERE subject_token = %(token)s AND {_EVENT_TIMES}
ORDER BY event_time, event_ms, event_id
LIMIT %(limit)s
""",
)

SAVED_QUERIES = SavedQueries(
    (
        BUSIEST_CHECKPOINTS,
        PLATE_TRAJECTORY,
        ALERTS_BY_DISTRICT,
        DEVICE_UPTIME,
        CROWD_PEAKS,
        FAMILY_VOLUME,
        SUBJECT_EVENTS,
    )
)
