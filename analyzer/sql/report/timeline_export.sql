-- Export timeline: the incident timeline (config changes, analysis milestones, imported events)
-- in the shape Timesketch imports (JSONL or CSV): the three required fields `message`,
-- `datetime` (ISO 8601 with offset, in the incident's zone) and `timestamp_desc` (what the
-- instant means), then `timestamp` (microseconds since the epoch, UTC) and the other fields of
-- the timeline table as attributes (`sources`: every source that saw the row, joined by ' + ';
-- `collapsed`: older context that the report shows as one line; every row is exported).
-- Parameters: $tz (the display zone, incident_summary.display_tz).
-- Placeholders: {{instant:col}} as in the row exports (filled by analyzer/report/exports.py).
-- Grain: one row per timeline row. Order: ordinal (ts, source, title).
WITH t AS (
    SELECT ordinal, ts AS datetime, ts, source, kind, severity, title, detail, ref_id, campaign_id, role,
           array_to_string(sources, ' + ') AS sources, collapsed, row_key
    FROM timeline
)
SELECT
    '[' || source || '] ' || title AS message,
    {{instant:datetime}},
    CASE
        WHEN source = 'config_changes' THEN 'Config change live'
        WHEN role IN ('first_affected', 'last_affected') THEN 'Payment priced'
        WHEN role = 'peak_minute' THEN 'Minute start'
        ELSE 'Event time'
    END AS timestamp_desc,
    epoch_us(ts) AS timestamp,
    source, kind, severity, title, detail, ref_id, campaign_id, role, sources, collapsed, row_key, ordinal
FROM t
ORDER BY ordinal
