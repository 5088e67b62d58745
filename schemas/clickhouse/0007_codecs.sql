-- Column codecs for the event tables and their lookup copies, where the server has them (19.1 on); on
-- 18.16 (the local stack) every statement is skipped and the migration is recorded with nothing done.
--
-- ClickHouse compresses every column with LZ4 by default. These columns are the ones LZ4 does little
-- for: random identifiers (event_id, subject tokens), free text and JSON (plate, payload), noisy
-- measurements (speed, confidence, milliseconds) and short enum words that repeat without long runs
-- in a part sorted by device (direction, colour, class). ZSTD(3) stores them in about half the space;
-- it decompresses more slowly than LZ4, and what that costs the analysts' scans was not measured.
-- ingested_at, a timestamp that rises slowly within a part, takes DoubleDelta. The plate and subject lookup tables of 0005 repeat the event ids
-- and, ordered by plate, scatter the devices, places and times that the event tables keep in runs.
-- Measured with `warmcity bench storage --events 200000` (chDB 26.9, docs/analysts.md, "Disk"):
-- plate_reads 46 % smaller, device_events 39 %, plate_reads_by_plate 38 %, every table together 28 %.
--
-- A codec applies to parts written or merged after the ALTER; older parts keep theirs until merged.
-- Changing the codec of a sorting-key column (event_id) is a metadata-only ALTER, which servers allow.
-- A server upgraded past 19.1 after this migration was recorded needs a new migration repeating these.

-- requires: codecs
ALTER TABLE plate_reads
    MODIFY COLUMN event_id String CODEC(ZSTD(3)),
    MODIFY COLUMN event_ms UInt16 CODEC(ZSTD(3)),
    MODIFY COLUMN plate String CODEC(ZSTD(3)),
    MODIFY COLUMN plate_colour String CODEC(ZSTD(3)),
    MODIFY COLUMN direction String CODEC(ZSTD(3)),
    MODIFY COLUMN speed_kmh Float32 CODEC(ZSTD(3)),
    MODIFY COLUMN vehicle_class String CODEC(ZSTD(3)),
    MODIFY COLUMN confidence Float32 CODEC(ZSTD(3)),
    MODIFY COLUMN ingested_at DateTime('UTC') DEFAULT now() CODEC(DoubleDelta, LZ4);

-- requires: codecs
ALTER TABLE device_events
    MODIFY COLUMN event_id String CODEC(ZSTD(3)),
    MODIFY COLUMN subject_token String CODEC(ZSTD(3)),
    MODIFY COLUMN payload String CODEC(ZSTD(3)),
    MODIFY COLUMN ingested_at DateTime('UTC') DEFAULT now() CODEC(DoubleDelta, LZ4);

-- requires: codecs
ALTER TABLE plate_reads_by_plate
    MODIFY COLUMN event_id String CODEC(ZSTD(3)),
    MODIFY COLUMN event_time DateTime('UTC') CODEC(ZSTD(3)),
    MODIFY COLUMN event_ms UInt16 CODEC(ZSTD(3)),
    MODIFY COLUMN device_id String CODEC(ZSTD(3)),
    MODIFY COLUMN grid_cell String CODEC(ZSTD(3)),
    MODIFY COLUMN lat Float64 CODEC(ZSTD(3)),
    MODIFY COLUMN lon Float64 CODEC(ZSTD(3));

-- requires: codecs
ALTER TABLE device_events_by_subject
    MODIFY COLUMN event_id String CODEC(ZSTD(3)),
    MODIFY COLUMN event_ms UInt16 CODEC(ZSTD(3));
