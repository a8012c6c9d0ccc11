-- Report: the payees with the most excess, and one "others" row for the rest.
-- Parameters: $limit. Placeholders: {{pii:col}} (filled by analyzer/report/exports.py).
-- Grain: one row per merchant_id for the top $limit (excess_total DESC, id, NULL last), then
-- at most one row with is_others = true summing every other payee (payees = how many).
WITH ranked AS (
    SELECT *, row_number() OVER (ORDER BY excess_total DESC, merchant_id NULLS LAST) AS position
    FROM affected_merchants
)
SELECT * FROM (
    SELECT position, false AS is_others, 1 AS payees, {{pii:merchant_id}}, affected_txns, affected_users, excess_total, net_excess_total,
           array_to_string(scenes, ', ') AS scenes
    FROM ranked WHERE position <= $limit
    UNION ALL
    SELECT $limit + 1, true, count(*), NULL, sum(affected_txns), NULL,
           CAST(sum(excess_total) AS DECIMAL(18,2)), CAST(sum(net_excess_total) AS DECIMAL(18,2)), NULL
    FROM ranked WHERE position > $limit
    HAVING count(*) > 0
)
ORDER BY position
