-- The size of the filtered Affected users set (for paging) and its money totals.
-- Placeholders: {{filters}} (user_filters.sql). Parameters: the filters'. Grain: one row.
SELECT count(*) AS users,
       coalesce(sum(affected_txns), 0)::BIGINT AS affected_txns,
       CAST(coalesce(sum(excess_total), 0) AS DECIMAL(18,2)) AS excess_total,
       CAST(coalesce(sum(net_excess_total), 0) AS DECIMAL(18,2)) AS net_excess_total
FROM affected_users
WHERE {{filters}}
