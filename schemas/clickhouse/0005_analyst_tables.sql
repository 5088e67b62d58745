-- Tables for the analysts' usual questions, fed by materialized views from plate_reads and device_events.
--
-- Exactly once for readers: the sink may insert a batch twice (a retry after a lost acknowledgement, a
-- replay after a crash), and a materialized view sees every insert. So the lookup tables below are
-- ReplacingMergeTree keyed on event_id like their sources (readers use the *_dedup views), and the
-- aggregates only use functions a duplicate cannot change: uniqExact(event_id) counts events, max and min
-- are idempotent. A replayed batch therefore changes no figure.
--
-- Each view is followed by a backfill of what its source already holds; rows that arrive between the two
-- statements are counted once for the same reason.
--
-- Markers: /*LC*/String becomes LowCardinality(String) on servers where it is no longer experimental;
-- 18.16 keeps String (see pipeline/storage/dialect.py).

-- One plate's trajectory: plate reads ordered by plate, then time.
CREATE TABLE IF NOT EXISTS plate_reads_by_plate
(
    event_id    String,
    event_time  DateTime('UTC'),
    event_ms    UInt16,
    plate       String,
    device_id   String,
    direction   /*LC*/String,
    district    /*LC*/String,
    patrol_area /*LC*/String,
    grid_cell   String,
    station     /*LC*/String,
    ring        /*LC*/String,
    lat         Float64,
    lon         Float64,
    watchlisted UInt8
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (plate, event_time, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS plate_reads_by_plate_mv TO plate_reads_by_plate AS
SELECT event_id, event_time, event_ms, plate, device_id, direction, district, patrol_area, grid_cell,
       station, ring, lat, lon, watchlisted
FROM plate_reads;

INSERT INTO plate_reads_by_plate
SELECT event_id, event_time, event_ms, plate, device_id, direction, district, patrol_area, grid_cell,
       station, ring, lat, lon, watchlisted
FROM plate_reads;

CREATE VIEW IF NOT EXISTS plate_reads_by_plate_dedup AS SELECT * FROM plate_reads_by_plate FINAL;

-- One person's (token's) events across families: ID checks, face matches, access, school access.
CREATE TABLE IF NOT EXISTS device_events_by_subject
(
    event_id      String,
    event_time    DateTime('UTC'),
    event_ms      UInt16,
    subject_token String,
    family        /*LC*/String,
    schema        /*LC*/String,
    device_id     String,
    subtype       /*LC*/String,
    site_id       String,
    district      /*LC*/String,
    grid_cell     String,
    watchlisted   UInt8
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (subject_token, event_time, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS device_events_by_subject_mv TO device_events_by_subject AS
SELECT event_id, event_time, event_ms, subject_token, family, schema, device_id, subtype, site_id,
       district, grid_cell, watchlisted
FROM device_events
WHERE subject_token != '';

INSERT INTO device_events_by_subject
SELECT event_id, event_time, event_ms, subject_token, family, schema, device_id, subtype, site_id,
       district, grid_cell, watchlisted
FROM device_events
WHERE subject_token != '';

CREATE VIEW IF NOT EXISTS device_events_by_subject_dedup AS SELECT * FROM device_events_by_subject FINAL;

-- Events per hour, family and grid cell (all families; plate reads included).
CREATE TABLE IF NOT EXISTS cell_hourly
(
    hour        DateTime('UTC'),
    family      /*LC*/String,
    district    /*LC*/String,
    grid_cell   String,
    events      AggregateFunction(uniqExact, String),
    watchlisted AggregateFunction(uniqExactIf, String, UInt8),
    devices     AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(hour)
ORDER BY (family, district, grid_cell, hour);

CREATE MATERIALIZED VIEW IF NOT EXISTS cell_hourly_plate_reads_mv TO cell_hourly AS
SELECT toStartOfHour(event_time) AS hour, 'vehicle_checkpoint' AS family, district, grid_cell,
       uniqExactState(event_id) AS events, uniqExactIfState(event_id, watchlisted) AS watchlisted,
       uniqExactState(device_id) AS devices
FROM plate_reads
GROUP BY hour, family, district, grid_cell;

CREATE MATERIALIZED VIEW IF NOT EXISTS cell_hourly_device_events_mv TO cell_hourly AS
SELECT toStartOfHour(event_time) AS hour, family, district, grid_cell,
       uniqExactState(event_id) AS events, uniqExactIfState(event_id, watchlisted) AS watchlisted,
       uniqExactState(device_id) AS devices
FROM device_events
GROUP BY hour, family, district, grid_cell;

INSERT INTO cell_hourly
SELECT toStartOfHour(event_time) AS hour, 'vehicle_checkpoint' AS family, district, grid_cell,
       uniqExactState(event_id) AS events, uniqExactIfState(event_id, watchlisted) AS watchlisted,
       uniqExactState(device_id) AS devices
FROM plate_reads
GROUP BY hour, family, district, grid_cell;

INSERT INTO cell_hourly
SELECT toStartOfHour(event_time) AS hour, family, district, grid_cell,
       uniqExactState(event_id) AS events, uniqExactIfState(event_id, watchlisted) AS watchlisted,
       uniqExactState(device_id) AS devices
FROM device_events
GROUP BY hour, family, district, grid_cell;

CREATE VIEW IF NOT EXISTS cell_hourly_totals AS
SELECT hour, family, district, grid_cell, uniqExactMerge(events) AS events,
       uniqExactIfMerge(watchlisted) AS watchlisted, uniqExactMerge(devices) AS devices
FROM cell_hourly
GROUP BY hour, family, district, grid_cell;

CREATE VIEW IF NOT EXISTS family_hourly_totals AS
SELECT hour, family, uniqExactMerge(events) AS events, uniqExactIfMerge(watchlisted) AS watchlisted,
       uniqExactMerge(devices) AS devices
FROM cell_hourly
GROUP BY hour, family;

-- Plate reads per hour and checkpoint.
CREATE TABLE IF NOT EXISTS checkpoint_hourly
(
    hour          DateTime('UTC'),
    device_id     String,
    district      /*LC*/String,
    station       /*LC*/String,
    ring          /*LC*/String,
    reads         AggregateFunction(uniqExact, String),
    plates        AggregateFunction(uniqExact, String),
    watchlisted   AggregateFunction(uniqExactIf, String, UInt8),
    max_speed_kmh AggregateFunction(max, Float32)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(hour)
ORDER BY (device_id, hour, district, station, ring);

CREATE MATERIALIZED VIEW IF NOT EXISTS checkpoint_hourly_mv TO checkpoint_hourly AS
SELECT toStartOfHour(event_time) AS hour, device_id, district, station, ring,
       uniqExactState(event_id) AS reads, uniqExactState(plate) AS plates,
       uniqExactIfState(event_id, watchlisted) AS watchlisted, maxState(speed_kmh) AS max_speed_kmh
FROM plate_reads
GROUP BY hour, device_id, district, station, ring;

INSERT INTO checkpoint_hourly
SELECT toStartOfHour(event_time) AS hour, device_id, district, station, ring,
       uniqExactState(event_id) AS reads, uniqExactState(plate) AS plates,
       uniqExactIfState(event_id, watchlisted) AS watchlisted, maxState(speed_kmh) AS max_speed_kmh
FROM plate_reads
GROUP BY hour, device_id, district, station, ring;

CREATE VIEW IF NOT EXISTS checkpoint_hourly_totals AS
SELECT hour, device_id, district, station, ring, uniqExactMerge(reads) AS reads,
       uniqExactMerge(plates) AS plates, uniqExactIfMerge(watchlisted) AS watchlisted,
       maxMerge(max_speed_kmh) AS max_speed_kmh
FROM checkpoint_hourly
GROUP BY hour, device_id, district, station, ring;

-- Device activity per hour: events and the minutes with at least one event (uptime), every family.
CREATE TABLE IF NOT EXISTS device_hourly
(
    hour           DateTime('UTC'),
    family         /*LC*/String,
    device_id      String,
    district       /*LC*/String,
    events         AggregateFunction(uniqExact, String),
    active_minutes AggregateFunction(uniqExact, DateTime('UTC')),
    first_seen     AggregateFunction(min, DateTime('UTC')),
    last_seen      AggregateFunction(max, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(hour)
ORDER BY (family, device_id, hour, district);

CREATE MATERIALIZED VIEW IF NOT EXISTS device_hourly_plate_reads_mv TO device_hourly AS
SELECT toStartOfHour(event_time) AS hour, 'vehicle_checkpoint' AS family, device_id, district,
       uniqExactState(event_id) AS events, uniqExactState(toStartOfMinute(event_time)) AS active_minutes,
       minState(event_time) AS first_seen, maxState(event_time) AS last_seen
FROM plate_reads
GROUP BY hour, family, device_id, district;

CREATE MATERIALIZED VIEW IF NOT EXISTS device_hourly_device_events_mv TO device_hourly AS
SELECT toStartOfHour(event_time) AS hour, family, device_id, district,
       uniqExactState(event_id) AS events, uniqExactState(toStartOfMinute(event_time)) AS active_minutes,
       minState(event_time) AS first_seen, maxState(event_time) AS last_seen
FROM device_events
GROUP BY hour, family, device_id, district;

INSERT INTO device_hourly
SELECT toStartOfHour(event_time) AS hour, 'vehicle_checkpoint' AS family, device_id, district,
       uniqExactState(event_id) AS events, uniqExactState(toStartOfMinute(event_time)) AS active_minutes,
       minState(event_time) AS first_seen, maxState(event_time) AS last_seen
FROM plate_reads
GROUP BY hour, family, device_id, district;

INSERT INTO device_hourly
SELECT toStartOfHour(event_time) AS hour, family, device_id, district,
       uniqExactState(event_id) AS events, uniqExactState(toStartOfMinute(event_time)) AS active_minutes,
       minState(event_time) AS first_seen, maxState(event_time) AS last_seen
FROM device_events
GROUP BY hour, family, device_id, district;

CREATE VIEW IF NOT EXISTS device_hourly_totals AS
SELECT hour, family, device_id, district, uniqExactMerge(events) AS events,
       uniqExactMerge(active_minutes) AS active_minutes, minMerge(first_seen) AS first_seen,
       maxMerge(last_seen) AS last_seen
FROM device_hourly
GROUP BY hour, family, device_id, district;

-- Device status: when each device was last heard from, and what it said last.
CREATE TABLE IF NOT EXISTS device_status
(
    family       /*LC*/String,
    district     /*LC*/String,
    device_id    String,
    last_seen    AggregateFunction(max, DateTime('UTC')),
    last_subtype AggregateFunction(argMax, String, DateTime('UTC')),
    last_schema  AggregateFunction(argMax, String, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree()
ORDER BY (family, district, device_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS device_status_plate_reads_mv TO device_status AS
SELECT 'vehicle_checkpoint' AS family, district, device_id, maxState(event_time) AS last_seen,
       argMaxState('plate_read', event_time) AS last_subtype,
       argMaxState('plate_read', event_time) AS last_schema
FROM plate_reads
GROUP BY family, district, device_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS device_status_device_events_mv TO device_status AS
SELECT family, district, device_id, maxState(event_time) AS last_seen,
       argMaxState(subtype, event_time) AS last_subtype, argMaxState(schema, event_time) AS last_schema
FROM device_events
GROUP BY family, district, device_id;

INSERT INTO device_status
SELECT 'vehicle_checkpoint' AS family, district, device_id, maxState(event_time) AS last_seen,
       argMaxState('plate_read', event_time) AS last_subtype,
       argMaxState('plate_read', event_time) AS last_schema
FROM plate_reads
GROUP BY family, district, device_id;

INSERT INTO device_status
SELECT family, district, device_id, maxState(event_time) AS last_seen,
       argMaxState(subtype, event_time) AS last_subtype, argMaxState(schema, event_time) AS last_schema
FROM device_events
GROUP BY family, district, device_id;

CREATE VIEW IF NOT EXISTS device_status_current AS
SELECT family, district, device_id, maxMerge(last_seen) AS last_seen,
       argMaxMerge(last_subtype) AS last_subtype, argMaxMerge(last_schema) AS last_schema
FROM device_status
GROUP BY family, district, device_id;

-- Crowd peaks: the highest count per hour and crowd zone.
CREATE TABLE IF NOT EXISTS crowd_hourly
(
    hour       DateTime('UTC'),
    zone_id    String,
    device_id  String,
    district   /*LC*/String,
    grid_cell  String,
    peak_count AggregateFunction(max, UInt64),
    peak_at    AggregateFunction(argMax, DateTime('UTC'), UInt64),
    readings   AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(hour)
ORDER BY (zone_id, hour, device_id, district, grid_cell);

CREATE MATERIALIZED VIEW IF NOT EXISTS crowd_hourly_mv TO crowd_hourly AS
SELECT toStartOfHour(event_time) AS hour, zone_id, device_id, district, grid_cell,
       maxState(visitParamExtractUInt(payload, 'count')) AS peak_count,
       argMaxState(event_time, visitParamExtractUInt(payload, 'count')) AS peak_at,
       uniqExactState(event_id) AS readings
FROM device_events
WHERE schema = 'crowd_count'
GROUP BY hour, zone_id, device_id, district, grid_cell;

INSERT INTO crowd_hourly
SELECT toStartOfHour(event_time) AS hour, zone_id, device_id, district, grid_cell,
       maxState(visitParamExtractUInt(payload, 'count')) AS peak_count,
       argMaxState(event_time, visitParamExtractUInt(payload, 'count')) AS peak_at,
       uniqExactState(event_id) AS readings
FROM device_events
WHERE schema = 'crowd_count'
GROUP BY hour, zone_id, device_id, district, grid_cell;

CREATE VIEW IF NOT EXISTS crowd_hourly_totals AS
SELECT hour, zone_id, device_id, district, grid_cell, maxMerge(peak_count) AS peak_count,
       argMaxMerge(peak_at) AS peak_at, uniqExactMerge(readings) AS readings
FROM crowd_hourly
GROUP BY hour, zone_id, device_id, district, grid_cell;
