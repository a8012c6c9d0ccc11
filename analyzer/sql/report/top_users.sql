-- Report: the affected users with the most excess, for the incident report's table.
-- Parameters: $limit. Placeholders: {{pii:col}} (filled by analyzer/report/exports.py).
-- Grain: one row per user_id; the top $limit by excess_total, then user id.
SELECT
    {{pii:user_id}},
    affected_txns, excess_total, net_excess_total, fully_refunded_txns,
    array_to_string(scenes, ', ') AS scenes, first_affected_at, last_affected_at, exploit_flag
FROM affected_users
ORDER BY excess_total DESC, user_id
LIMIT $limit
