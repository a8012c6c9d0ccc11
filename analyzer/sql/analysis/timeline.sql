-- timeline: one ordered table of what happened, each row with its source.
--   config changes (every campaign; the bad and the fix change marked by role),
--   derived milestones (first affected payment, peak minute, last affected payment),
--   imported events (alerts, acknowledgements, statements, scam reports...).
-- Parameters: $bad_change_id, $fix_change_id (may be NULL).
-- Grain: one row per change, milestone or event.
CREATE OR REPLACE TABLE timeline AS
WITH changes AS (
    SELECT valid_from AS ts, 'config_changes' AS source, action AS kind,
           change_id || ': ' || campaign_id || ' ' || action || ' to ' || version || ' by ' || coalesce(actor, '?')
               || CASE WHEN len(diff) > 0 THEN ' (' || array_to_string(list_transform(diff, lambda d: d.field), ', ') || ')' ELSE '' END AS title,
           concat_ws('; ',
               CASE WHEN len(diff) > 0 THEN array_to_string(list_transform(diff,
                   lambda d: d.field || ': ' || coalesce(d.before, 'null') || ' -> ' || coalesce(d.after, 'null')), '; ') END,
               'approver: ' || coalesce(approver, 'none'),
               'ticket: ' || coalesce(ticket, 'none')) AS detail,
           CASE WHEN change_id = $bad_change_id THEN 'critical' WHEN change_id = $fix_change_id THEN 'warning' ELSE 'info' END AS severity,
           change_id AS ref_id, campaign_id,
           CASE WHEN change_id = $bad_change_id THEN 'bad_change' WHEN change_id = $fix_change_id THEN 'fix_change' END AS role
    FROM config_versions
), first_last AS (
    SELECT min(ts) AS first_at, arg_min(txn_id, (ts, txn_id)) AS first_txn,
           max(ts) AS last_at, arg_max(txn_id, (ts, txn_id)) AS last_txn,
           any_value(campaign_id) AS campaign_id
    FROM affected_transactions
), milestones AS (
    SELECT first_at AS ts, 'analysis' AS source, 'milestone' AS kind,
           'First affected payment (' || first_txn || ')' AS title,
           'the first payment whose discount differs from the intended config' AS detail,
           'critical' AS severity, first_txn AS ref_id, campaign_id, 'first_affected' AS role
    FROM first_last WHERE first_at IS NOT NULL
    UNION ALL
    SELECT minute, 'analysis', 'milestone', 'Peak minute: excess ' || CAST(excess AS VARCHAR) || ' over ' || affected_txns || ' payments',
           'the minute with the most excess', 'critical', NULL, campaign_id, 'peak_minute'
    FROM peak_minute
    UNION ALL
    SELECT last_at, 'analysis', 'milestone', 'Last affected payment (' || last_txn || ')',
           'the last payment whose discount differs from the intended config (pricing nodes lag behind the console)',
           'warning', last_txn, campaign_id, 'last_affected'
    FROM first_last WHERE last_at IS NOT NULL
), imported AS (
    SELECT ts, coalesce(source, 'events') AS source, coalesce(kind, 'event') AS kind,
           coalesce(title, kind, 'event') AS title, detail, severity, event_id AS ref_id,
           CAST(NULL AS VARCHAR) AS campaign_id, CAST(NULL AS VARCHAR) AS role
    FROM events
)
SELECT row_number() OVER (ORDER BY ts, source, title) AS ordinal, *
FROM (SELECT * FROM changes UNION ALL BY NAME SELECT * FROM milestones UNION ALL BY NAME SELECT * FROM imported)
ORDER BY ordinal;
