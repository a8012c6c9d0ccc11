-- The money reconciles to the cent: the summary's totals equal the sum of per-payment excess,
-- the sum over users, over merchants and over scenes. Offending rows: each total that differs.
WITH totals AS (
    SELECT 'affected_transactions' AS source, CAST(sum(excess) AS DECIMAL(18,2)) AS gross, CAST(sum(net_excess) AS DECIMAL(18,2)) AS net, count(*) AS txns FROM affected_transactions
    UNION ALL SELECT 'affected_users', sum(excess_total), sum(net_excess_total), sum(affected_txns) FROM affected_users
    UNION ALL SELECT 'affected_merchants', sum(excess_total), sum(net_excess_total), sum(affected_txns) FROM affected_merchants
    UNION ALL SELECT 'affected_scenes', sum(excess_total), sum(net_excess_total), sum(affected_txns) FROM affected_scenes
    UNION ALL SELECT 'priced_transactions', sum(excess), NULL, count(*) FILTER (excess <> 0) FROM priced_transactions
)
SELECT t.source, t.gross, s.excess_total, t.net, s.net_excess_total, t.txns, s.affected_txns
FROM totals t, incident_summary s
WHERE coalesce(t.gross, 0) <> s.excess_total
   OR (t.net IS NOT NULL AND coalesce(t.net, 0) <> s.net_excess_total)
   OR t.txns <> s.affected_txns
ORDER BY t.source;
