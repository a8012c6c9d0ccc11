-- Refunds are never silently applied: every refund of a payment that is not loaded, or beyond
-- what the payment paid, is listed in `disputed`, and no disputed refund is counted in the
-- affected payments' refunds. Offending rows: a refund that breaks a rule and is not disputed,
-- or an affected payment whose counted refunds include a disputed one.
WITH paid AS (
    SELECT txn_id, amount - discount - coalesce(merchant_discount, 0) AS paid FROM transactions WHERE type = 'payment'
), running AS (
    SELECT r.txn_id, r.original_txn_id, p.paid,
           sum(r.amount) OVER (PARTITION BY r.original_txn_id ORDER BY r.ts, r.txn_id) AS refunded
    FROM transactions r LEFT JOIN paid p ON p.txn_id = r.original_txn_id
    WHERE r.type = 'refund'
), disputed_refunds AS (
    SELECT record_key FROM disputed
    WHERE kind = 'transactions' AND reason IN ('refund_unknown_payment', 'refund_exceeds_paid')
)
SELECT 'not disputed' AS problem, txn_id, original_txn_id, paid, refunded
FROM running
WHERE (paid IS NULL OR refunded > paid) AND txn_id NOT IN (SELECT record_key FROM disputed_refunds)
UNION ALL
SELECT 'counted although disputed', r.txn_id, r.original_txn_id, NULL, r.amount
FROM transactions r
WHERE r.type = 'refund' AND r.txn_id IN (SELECT record_key FROM disputed_refunds)
  AND r.original_txn_id IN (SELECT txn_id FROM affected_transactions WHERE refunds > 0)
  AND (SELECT refunded_amount FROM affected_transactions a WHERE a.txn_id = r.original_txn_id)
      > (SELECT coalesce(sum(v.amount), 0) FROM transactions v
         WHERE v.type = 'refund' AND v.original_txn_id = r.original_txn_id
           AND v.txn_id NOT IN (SELECT record_key FROM disputed_refunds))
ORDER BY problem, txn_id
