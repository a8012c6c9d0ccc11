-- The analyzer's answer, to compare with the pandas and polars pipelines: the totals of
-- incident_summary. Grain: one row.
SELECT affected_txns, affected_users,
       CAST(excess_total * 100 AS BIGINT) AS excess_cents,
       CAST(net_excess_total * 100 AS BIGINT) AS net_excess_cents
FROM incident_summary;
