-- The reported domains or phrases, grouped: how many reports, how many affected users, when first
-- and last. Placeholder {{column}}: domains or phrases (fixed SQL). Parameters: none.
-- Grain: one row per domain (or phrase), most reported first.
SELECT v AS {{label}}, count(*) AS reports, count(DISTINCT linked_user_id) AS affected_users,
       min(ts) AS first_at, max(ts) AS last_at
FROM (SELECT unnest({{column}}) AS v, linked_user_id, ts FROM scam_reports WHERE after_bad_change)
GROUP BY v
ORDER BY reports DESC, v
