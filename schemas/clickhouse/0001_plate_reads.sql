-- Enriched vehicle checkpoint plate reads. One row per event_id once merged: ReplacingMergeTree collapses
-- replays (the sorting key is derived from the event alone). Readers use plate_reads_dedup.
CREATE TABLE IF NOT EXISTS plate_reads
(
    event_id      String,
    event_time    DateTime('UTC'),
    event_ms      UInt16,
    device_id     String,
    plate         String,
    plate_colour  String,
    direction     String,
    lane          UInt8,
    speed_kmh     Float32,
    vehicle_class String,
    confidence    Float32,
    district      String,
    patrol_area   String,
    grid_cell     String,
    station       String,
    ring          String,
    lat           Float64,
    lon           Float64,
    watchlisted   UInt8,
    ingested_at   DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (device_id, event_time, event_id);

CREATE VIEW IF NOT EXISTS plate_reads_dedup AS SELECT * FROM plate_reads FINAL;
