-- The ordered timeline for the Timeline page, optionally restricted to a time range selected
-- on the chart, with two durations per row: since the first affected payment and since the
-- previous row (seconds, DOUBLE: durations are not money), every source that saw the row
-- (a change seen in the config log and the console is one row), and whether it is older
-- context (collapsed: shown on demand).
-- Parameters: $from, $to (TIMESTAMPTZ, both NULL = the whole timeline; inclusive).
-- Grain: one row per timeline row (config change, milestone or event).
WITH t AS (
    SELECT ordinal, ts, source, array_to_string(sources, ' + ') AS sources, kind, title, detail, severity, role,
           ref_id, campaign_id, row_key, collapsed,
           round((epoch_ms(ts) - epoch_ms((SELECT first_affected_at FROM incident_summary))) / 1000.0, 3)
               AS since_first_affected_s,
           round((epoch_ms(ts) - epoch_ms(lag(ts) OVER (ORDER BY ordinal))) / 1000.0, 3) AS since_previous_s
    FROM timeline
)
SELECT * FROM t
WHERE ($from IS NULL OR ts >= $from) AND ($to IS NULL OR ts <= $to)
ORDER BY ordinal
