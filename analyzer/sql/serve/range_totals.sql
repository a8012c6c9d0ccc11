-- The affected payments inside a time range selected on the timeline chart: how many, whose,
-- and how much. Parameters: $from, $to (TIMESTAMPTZ, inclusive). Grain: one row.
SELECT count(*) AS affected_txns, count(DISTINCT user_id) AS affected_users,
       count(DISTINCT merchant_id) AS affected_merchants,
       CAST(coalesce(sum(excess), 0) AS DECIMAL(18,2)) AS excess_total,
       CAST(coalesce(sum(net_excess), 0) AS DECIMAL(18,2)) AS net_excess_total,
       min(ts) AS first_at, max(ts) AS last_at
FROM affected_transactions
WHERE ts >= $from AND ts <= $to
