-- The analyzer's per-user excess in integer cents, for the per-user digest compared with the
-- pandas and polars pipelines. Grain: one row per affected user.
SELECT user_id, CAST(excess_total * 100 AS BIGINT) AS excess_cents,
       CAST(net_excess_total * 100 AS BIGINT) AS net_cents
FROM affected_users;
