-- range_totals.sql for a range that holds every affected payment (the Timeline's default, from
-- the first to the last affected payment): the same figures, already in incident_summary (its
-- aff part counts and sums the same rows of affected_transactions), so no scan of them.
-- Parameters: $from, $to (TIMESTAMPTZ, inclusive). Grain: one row, or none when the range
-- leaves some affected payment out (then range_totals.sql counts).
SELECT affected_txns, affected_users, affected_merchants, excess_total, net_excess_total,
       first_affected_at AS first_at, last_affected_at AS last_at
FROM incident_summary
WHERE $from <= first_affected_at AND $to >= last_affected_at
