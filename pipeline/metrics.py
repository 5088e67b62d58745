"""The catalogue of Prometheus metrics: every name declared once, here, with its help text.

Modules import the objects they update; nothing else creates a metric. ``docs/metrics.md`` lists them.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_IN = Counter(
    "warmcity_stage_events_in_total",
    "Messages taken by a stage: intake (raw messages, by family), detect and alert_book (messages of their "
    "input topics, family 'all').",
    ["stage", "family"],
)
EVENTS_OUT = Counter(
    "warmcity_stage_events_out_total",
    "Items a stage passed on: intake (events accepted, by family), detect (detections), alert_book (alert "
    "snapshots published); family 'all' for the last two.",
    ["stage", "family"],
)
DEAD_LETTERED = Counter(
    "warmcity_dead_lettered_total",
    "Messages routed to the dead-letter topic, by reason.",
    ["family", "reason"],
)
INVALID_SHARE = Gauge(
    "warmcity_invalid_share",
    "Share of dead-lettered messages among the last WARMCITY_PIPELINE_INVALID_SHARE_WINDOW messages a "
    "worker's intake took, by family.",
    ["family"],
)
INVALID_SHARE_TRIPPED = Counter(
    "warmcity_invalid_share_tripped_total",
    "Times a family's invalid share went over WARMCITY_PIPELINE_MAX_INVALID_SHARE and stopped the worker.",
    ["family"],
)
ALERTS_RAISED = Counter(
    "warmcity_alerts_raised_total", "Alerts raised, by rule and severity.", ["rule", "severity"]
)
STAGE_SECONDS = Histogram(
    "warmcity_stage_batch_seconds",
    "Time a stage spent on one batch: intake, detect, alert_book, sink.<table> (the insert with its "
    "retries).",
    ["stage"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SINK_BATCH_ROWS = Histogram(
    "warmcity_sink_batch_rows",
    "Rows in one ClickHouse insert.",
    ["table"],
    buckets=(1, 10, 100, 1000, 5000, 10_000, 20_000, 50_000, 100_000),
)
SINK_INSERT_SECONDS = Histogram(
    "warmcity_sink_insert_seconds",
    "Duration of one successful ClickHouse insert.",
    ["table"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SINK_FAILURES = Counter(
    "warmcity_sink_insert_failures_total", "ClickHouse insert attempts that failed (then retried).", ["table"]
)
SINK_ROWS = Counter("warmcity_sink_rows_total", "Rows ClickHouse acknowledged.", ["table"])
REFERENCE_ENTRIES = Gauge(
    "warmcity_reference_entries", "Entries currently loaded from a reference topic.", ["reference"]
)
EVENT_LAG_SECONDS = Histogram(
    "warmcity_event_lag_seconds",
    "Event time to processing time, at the processing stage.",
    ["family"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)

# Operations (issue 7): declared for the alert rules (deploy/prometheus) and dashboards (deploy/grafana);
# each names, in its help text, what updates it.
CONSUMER_LAG = Gauge(
    "warmcity_consumer_lag_messages",
    "Messages of a partition assigned to this worker that its consumer group has not committed yet (high "
    "watermark minus committed offset), by topic and partition, changelogs left out; updated by the worker "
    "every few seconds.",
    ["topic", "partition"],
)
ASSIGNED_PARTITIONS = Gauge(
    "warmcity_worker_assigned_partitions",
    "Partitions of a topic currently assigned to this worker (changelogs left out); set by the worker on "
    "every rebalance and every few seconds.",
    ["topic"],
)
DISTRICT_EVENTS = Counter(
    "warmcity_district_events_total",
    "Events the intake accepted, by the district (旗区) of the device that sent them and family; counted "
    "by the worker after enrichment.",
    ["district", "family"],
)
EVENT_AHEAD_SECONDS = Histogram(
    "warmcity_event_ahead_seconds",
    "How far ahead of the worker's clock an event was timed, for events timed in the future (a device "
    "clock running fast), by family; observed by the intake, those dead-lettered as event_time_future "
    "included.",
    ["family"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 900, 3600),
)
DISTRICT_ALERTS = Counter(
    "warmcity_district_alerts_total",
    "Alerts raised, by the district of the alert's place, rule and severity; counted by the alert book "
    "where warmcity_alerts_raised_total is.",
    ["district", "rule", "severity"],
)
ALERTS_OPEN = Gauge(
    "warmcity_alerts_open",
    "Alerts not resolved in this worker's part of the alert book, by rule, severity and state (open or "
    "acknowledged); set by the alert-book agent on every change.",
    ["rule", "severity", "state"],
)
SINK_LAST_SUCCESS = Gauge(
    "warmcity_sink_last_success_timestamp_seconds",
    "Unix time of the last insert ClickHouse acknowledged, by table; set by the sink's writer.",
    ["table"],
)
SIMULATOR_SENT = Counter(
    "warmcity_simulator_sent_total",
    "Messages the simulator had delivered (acknowledged by Kafka), by family; counted by its publisher.",
    ["family"],
)
SIMULATOR_FAILURES = Counter(
    "warmcity_simulator_delivery_failures_total",
    "Messages the simulator's producer could not deliver, by family; counted by its publisher.",
    ["family"],
)
ALERT_LAG_SECONDS = Histogram(
    "warmcity_alert_lag_seconds",
    "Event time of a new alert's latest evidence to the moment the alert book raised it, by rule: the "
    "pipeline's end-to-end delay for the command room. Time-driven rules (device.offline, "
    "transport.stopped, ...) raise on a tick long after their last evidence, by design.",
    ["rule"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
COMMITS_CUT = Counter(
    "warmcity_commits_cut_total",
    "Offset commits a worker cut short because Faust would have committed past a message no agent finished "
    "(pipeline/worker/finished.py), by topic; the partition is read again from its committed offset.",
    ["topic"],
)
COMMITS_WAITING = Gauge(
    "warmcity_commits_waiting_partitions",
    "Partitions whose commit a worker cut and which still wait at the first offset no agent finished, "
    "being read again every 15 s, by topic.",
    ["topic"],
)
