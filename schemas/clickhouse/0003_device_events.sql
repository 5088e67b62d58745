-- Events of every family except plate reads, in one wide table: the common columns analysts filter on
-- (time, place, device, site, subject token, plate, zone) and the pseudonymised event as JSON. Plate reads,
-- the largest and most queried family, keep their own table. Per-family tables may follow when a family's
-- queries need typed columns. Duplicates collapse on the sorting key, derived from the event alone.
CREATE TABLE IF NOT EXISTS device_events
(
    event_id      String,
    family        String,
    schema        String,
    event_time    DateTime('UTC'),
    event_ms      UInt16,
    device_id     String,
    subtype       String,
    site_id       String,
    district      String,
    patrol_area   String,
    grid_cell     String,
    station       String,
    lat           Float64,
    lon           Float64,
    subject_token String,
    plate         String,
    zone_id       String,
    watchlisted   UInt8,
    payload       String,
    ingested_at   DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (family, device_id, event_time, event_id);

CREATE VIEW IF NOT EXISTS device_events_dedup AS SELECT * FROM device_events FINAL;
