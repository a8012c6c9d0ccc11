-- The milestones for the Timeline page: each with its instant, the time since the impact start
-- (seconds, DOUBLE) and its order check (analysis/milestones.sql).
-- Parameters: none. Grain: one row per milestone, in order.
SELECT position, label AS milestone, ts, since_impact_start_s,
       CASE WHEN order_ok IS NULL THEN 'not recorded' WHEN order_ok THEN 'ok' ELSE order_issue END AS "order",
       coalesce(event_title, ref_id) AS "from"
FROM milestones
ORDER BY position
