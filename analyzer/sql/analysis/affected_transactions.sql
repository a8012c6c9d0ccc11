-- affected_transactions: the affected payments, from priced_transactions (excess <> 0, in
-- either direction), with their refunds. The one statement of the affected sets that reads the
-- payments (refunds), so the one each engine runs (DuckDB or Spark SQL: both accept this form);
-- the sets over it are affected.sql.
-- Refunds (only those not disputed, ingest/refund_disputes.sql): a payment whose refunds add
-- up to what was paid (amount - discount) is fully
-- refunded and its discount came back, so it leaves the net excess; a partial refund leaves
-- the excess in and is listed (refunded_amount, partially_refunded).
-- Grain: one row per affected payment.
CREATE OR REPLACE TABLE affected_transactions AS
WITH refunds AS (
    SELECT r.original_txn_id AS txn_id, CAST(sum(r.amount) AS DECIMAL(18,2)) AS refunded_amount,
           count(*) AS refunds, max(r.ts) AS last_refund_at
    FROM transactions r
    WHERE r.type = 'refund'
      AND r.original_txn_id IN (SELECT txn_id FROM priced_transactions WHERE excess <> 0)
      -- a disputed refund (of an unknown payment, or beyond what was paid) is never applied
      AND r.txn_id NOT IN (SELECT record_key FROM disputed WHERE kind = 'transactions'
                           AND reason IN ('refund_unknown_payment', 'refund_exceeds_paid'))
    GROUP BY r.original_txn_id
)
SELECT p.*,
       coalesce(r.refunded_amount, 0.00) AS refunded_amount,
       coalesce(r.refunds, 0) AS refunds,
       r.last_refund_at,
       coalesce(r.refunded_amount >= p.amount - p.discount, false) AS fully_refunded,
       coalesce(r.refunded_amount > 0 AND r.refunded_amount < p.amount - p.discount, false) AS partially_refunded,
       CASE WHEN coalesce(r.refunded_amount >= p.amount - p.discount, false) THEN 0.00 ELSE p.excess END AS net_excess
FROM priced_transactions p
LEFT JOIN refunds r USING (txn_id)
WHERE p.excess <> 0
ORDER BY p.ts, p.txn_id;
