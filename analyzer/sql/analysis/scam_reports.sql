-- scam_reports: the customer-harm follow-up. Every event of kind 'scam_report' (a customer
-- telling the platform of a scam message, e.g. a fake "discount reversal"), linked to the
-- affected user it is about: by its user_id when that user is affected, else by an affected
-- user id written in its text (a caller who gave the account) when exactly one is.
-- The domains (host names) and the quoted phrases of the message are extracted for grouping.
-- The same statement on DuckDB and on Spark (trim_each: functions.sql of each dialect).
-- The lists of domains and phrases are sorted.
-- Parameters: $bad_change_id (reports before the bad change are kept and marked);
-- $token_separators, $domain_pattern, $phrase_pattern (analyzer/analysis/patterns.py).
-- Grain: one row per scam-report event.
CREATE OR REPLACE TABLE scam_reports AS
WITH bad AS (
    SELECT valid_from FROM config_versions WHERE change_id = $bad_change_id
), r AS (
    SELECT e.event_id, e.ts, e.source, e.title, e.detail, e.severity, e.user_id, e.ref,
           coalesce(e.detail, e.title, '') AS message,
           e.ts >= (SELECT valid_from FROM bad) AS after_bad_change
    FROM events e
    WHERE e.kind = 'scam_report'
), pieces AS (
    -- ids are compared as whole tokens (split at spaces and punctuation, ASCII or CJK), trailing dots dropped
    SELECT event_id, {{explode}}({{split_regex}}(coalesce(title, '') || ' ' || coalesce(detail, ''),
                                             $token_separators)) AS piece
    FROM r WHERE user_id IS NULL
), tokens AS (
    SELECT event_id, trim(TRAILING '.' FROM piece) AS token FROM pieces
), by_text AS (
    SELECT t.event_id, min(u.user_id) AS user_id, count(DISTINCT u.user_id) AS users
    FROM tokens t JOIN affected_users u ON u.user_id = t.token
    GROUP BY t.event_id
)
SELECT r.event_id, r.ts, r.source, r.title, r.detail, r.severity, r.ref, r.after_bad_change,
       r.user_id AS reporter_id,
       CASE WHEN ua.user_id IS NOT NULL THEN ua.user_id WHEN bt.users = 1 THEN bt.user_id END AS linked_user_id,
       CASE WHEN ua.user_id IS NOT NULL THEN 'user_id' WHEN bt.users = 1 THEN 'text' END AS linked_by,
       coalesce(ua.exploit_flag, ut.exploit_flag) AS linked_user_exploiter,
       coalesce(ua.excess_total, ut.excess_total) AS linked_user_excess,
       array_sort(array_distinct(regexp_extract_all(lower(r.message), $domain_pattern, 0))) AS domains,
       array_sort(array_distinct(trim_each(regexp_extract_all(lower(r.message), $phrase_pattern, 1)))) AS phrases
FROM r
LEFT JOIN affected_users ua ON ua.user_id = r.user_id
LEFT JOIN by_text bt ON bt.event_id = r.event_id AND r.user_id IS NULL
LEFT JOIN affected_users ut ON ut.user_id = bt.user_id AND bt.users = 1
ORDER BY r.ts, r.event_id;
