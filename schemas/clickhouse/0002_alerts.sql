-- Alerts as raised. alert_id is derived from the rule and its evidence, so a replay collapses into the
-- first copy; the latest raised_at wins. Readers use alerts_dedup.
CREATE TABLE IF NOT EXISTS alerts
(
    alert_id           String,
    rule               String,
    severity           String,
    subject            String,
    device_id          String,
    district           String,
    patrol_area        String,
    grid_cell          String,
    station            String,
    summary            String,
    evidence_event_ids Array(String),
    first_seen         DateTime('UTC'),
    last_seen          DateTime('UTC'),
    raised_at          DateTime('UTC')
)
ENGINE = ReplacingMergeTree(raised_at)
PARTITION BY toYYYYMM(first_seen)
ORDER BY (rule, alert_id);

CREATE VIEW IF NOT EXISTS alerts_dedup AS SELECT * FROM alerts FINAL;
