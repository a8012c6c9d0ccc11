-- timeline: one ordered table of what happened, each row with its source(s).
--   config changes (every campaign; the bad and the fix change marked by role, and the change
--   that made the version the bad change replaced as 'previous_version'); a console event
--   that is the same change (kind 'change' / 'config_change' / 'config', naming the change id
--   in its ref, else in its title or detail) is merged into the change's row: one row, both
--   sources (`sources`), the event ids in `merged_event_ids`;
--   derived milestones (first affected payment, peak minute, last affected payment);
--   imported events (alerts, acknowledgements, statements, scam reports...), the first of
--   each kind of milestone marked by its role (milestones.sql: detected, acknowledged, ...).
-- `collapsed`: older context, before $context_from (a while before the bad change), with no
-- role: kept here and in the Timesketch export, shown as one line in the report and dashboard.
-- `row_key`: what an annotation of the row names (change:<id>, event:<id>, milestone:<role>).
-- The same statement on DuckDB and on Spark (diff_fields_text, diff_text, seconds_between:
-- functions.sql of each dialect); rows at the same instant are ordered by source, title, row_key.
-- Parameters: $bad_change_id, $fix_change_id (may be NULL), $context_from (TIMESTAMPTZ),
-- $token_separators (analyzer/analysis/patterns.py).
-- Grain: one row per change, milestone or (unmerged) event.
CREATE OR REPLACE TABLE timeline AS
WITH badv AS (
    SELECT change_id, prev_change_id FROM config_versions WHERE change_id = $bad_change_id
), change_event_candidates AS (
    SELECT e.event_id, e.source, e.ts, v.change_id, v.valid_from,
           CASE WHEN e.ref = v.change_id THEN 0 ELSE 1 END AS by_text
    FROM events e
    JOIN config_versions v
      ON e.ref = v.change_id
      OR array_contains({{split_regex}}(coalesce(e.title, '') || ' ' || coalesce(e.detail, ''), $token_separators),
                        v.change_id)
    WHERE e.kind IN ('change', 'config_change', 'config')
), change_events AS (
    -- one change per event: its ref first, else the named change nearest in time
    SELECT event_id, change_id, source, ts
    FROM (SELECT *, row_number() OVER (PARTITION BY event_id
                                       ORDER BY by_text, abs(epoch_ms(ts) - epoch_ms(valid_from)), change_id) AS nth
          FROM change_event_candidates)
    WHERE nth = 1
), merged_events AS (
    SELECT c.change_id, c.event_id, coalesce(c.source, 'events') AS source,
           row_number() OVER (PARTITION BY c.change_id ORDER BY c.ts, c.event_id) AS nth,
           'also in ' || coalesce(c.source, 'events') || ' '
               || CASE WHEN c.ts >= v.valid_from THEN '+' ELSE '-' END
               || CAST(abs(seconds_between(v.valid_from, c.ts)) AS STRING) || ' s' AS seen
    FROM change_events c JOIN config_versions v ON v.change_id = c.change_id
), merged AS (
    SELECT change_id,
           array_sort(array_distinct(array_agg(source))) AS sources,
           {{ordered_list:event_id,nth,true}} AS event_ids,
           {{array_join}}({{ordered_list:seen,nth,true}}, '; ') AS seen
    FROM merged_events
    GROUP BY change_id
), changes AS (
    SELECT valid_from AS ts, 'config_changes' AS source, action AS kind,
           change_id || ': ' || campaign_id || ' ' || action || ' to ' || version || ' by ' || coalesce(actor, '?')
               || CASE WHEN cardinality(diff) > 0 THEN ' (' || diff_fields_text(diff) || ')' ELSE '' END AS title,
           concat_ws('; ',
               CASE WHEN cardinality(diff) > 0 THEN diff_text(diff) END,
               'approver: ' || coalesce(approver, 'none'),
               'ticket: ' || coalesce(ticket, 'none'),
               m.seen) AS detail,
           CASE WHEN change_id = $bad_change_id THEN 'critical' WHEN change_id = $fix_change_id THEN 'warning' ELSE 'info' END AS severity,
           change_id AS ref_id, campaign_id,
           CASE WHEN change_id = $bad_change_id THEN 'bad_change' WHEN change_id = $fix_change_id THEN 'fix_change'
                WHEN change_id = (SELECT prev_change_id FROM badv) THEN 'previous_version' END AS role,
           concat({{list}}('config_changes'), coalesce(m.sources, CAST({{list}}() AS {{text_list}}))) AS sources,
           coalesce(m.event_ids, CAST({{list}}() AS {{text_list}})) AS merged_event_ids,
           'change:' || change_id AS row_key
    FROM config_versions
    LEFT JOIN merged m USING (change_id)
), span AS (
    SELECT min(ts) AS first_at, max(ts) AS last_at, min(campaign_id) AS campaign_id FROM affected_transactions
), first_last AS (
    -- the first and the last affected payment (the smallest / largest txn_id at a tie)
    SELECT span.first_at, span.last_at, span.campaign_id,
           min(t.txn_id) FILTER (WHERE t.ts = span.first_at) AS first_txn,
           max(t.txn_id) FILTER (WHERE t.ts = span.last_at) AS last_txn
    FROM span LEFT JOIN affected_transactions t ON t.ts IN (span.first_at, span.last_at)
    GROUP BY span.first_at, span.last_at, span.campaign_id
), derived AS (
    SELECT first_at AS ts, 'analysis' AS source, 'milestone' AS kind,
           'First affected payment (' || first_txn || ')' AS title,
           'the first payment whose discount differs from the intended config' AS detail,
           'critical' AS severity, first_txn AS ref_id, campaign_id, 'first_affected' AS role
    FROM first_last WHERE first_at IS NOT NULL
    UNION ALL
    SELECT minute, 'analysis', 'milestone', 'Peak minute: excess ' || CAST(excess AS STRING) || ' over ' || affected_txns || ' payments',
           'the minute with the most excess', 'critical', NULL, campaign_id, 'peak_minute'
    FROM peak_minute
    UNION ALL
    SELECT last_at, 'analysis', 'milestone', 'Last affected payment (' || last_txn || ')',
           'the last payment whose discount differs from the intended config (pricing nodes lag behind the console)',
           'warning', last_txn, campaign_id, 'last_affected'
    FROM first_last WHERE last_at IS NOT NULL
), derived_rows AS (
    SELECT *, {{list}}('analysis') AS sources, CAST({{list}}() AS {{text_list}}) AS merged_event_ids,
           'milestone:' || role AS row_key
    FROM derived
), imported AS (
    SELECT e.ts, coalesce(e.source, 'events') AS source, coalesce(e.kind, 'event') AS kind,
           coalesce(e.title, e.kind, 'event') AS title, e.detail, e.severity, e.event_id AS ref_id,
           CAST(NULL AS STRING) AS campaign_id, ms.milestone AS role,
           {{list}}(coalesce(e.source, 'events')) AS sources, CAST({{list}}() AS {{text_list}}) AS merged_event_ids,
           'event:' || e.event_id AS row_key
    FROM events e
    LEFT JOIN milestones ms ON ms.source = 'events' AND ms.ref_id = e.event_id
    WHERE e.event_id NOT IN (SELECT event_id FROM change_events)
), all_rows AS (
    -- the three in the same column order
    SELECT * FROM changes
    UNION ALL SELECT * FROM derived_rows
    UNION ALL SELECT * FROM imported
)
SELECT CAST(row_number() OVER (ORDER BY ts, source, title, row_key) AS BIGINT) AS ordinal,
       ts, source, kind, title, detail, severity, ref_id, campaign_id, role, sources, merged_event_ids, row_key,
       ts < $context_from AND role IS NULL AS collapsed
FROM all_rows
ORDER BY ordinal;
