-- Refund integrity: a refund is valid only for a known payment and up to what that payment paid
-- (amount - discount - merchant_discount). Judged over everything loaded, at the end of every
-- ingest (so the order of the files does not matter: a refund may arrive before its payment):
-- a refund of a payment that is not loaded, and, in time order, the refund that takes the
-- refunded sum past what was paid and every later one, are listed in `disputed`. They stay
-- loaded (nothing is lost) and the analysis counts only the refunds not disputed.
-- Grain: one disputed row per refund that breaks a rule.
DELETE FROM disputed WHERE reason IN ('refund_unknown_payment', 'refund_exceeds_paid');

INSERT INTO disputed (kind, record_key, file_id, line, reason, detail)
WITH refunds AS (
    SELECT txn_id, original_txn_id, amount, ts, file_id, line FROM transactions WHERE type = 'refund'
), paid AS (
    SELECT txn_id, amount - discount - coalesce(merchant_discount, 0) AS paid
    FROM transactions
    WHERE type = 'payment' AND txn_id IN (SELECT original_txn_id FROM refunds)
), running AS (
    SELECT r.*, p.paid,
           sum(r.amount) OVER (PARTITION BY r.original_txn_id ORDER BY r.ts, r.txn_id) AS refunded
    FROM refunds r LEFT JOIN paid p ON p.txn_id = r.original_txn_id
)
SELECT 'transactions', txn_id, file_id, line,
       CASE WHEN paid IS NULL THEN 'refund_unknown_payment' ELSE 'refund_exceeds_paid' END,
       CASE WHEN paid IS NULL THEN 'refunds payment ' || original_txn_id || ', which is not loaded'
            ELSE 'refunds of ' || original_txn_id || ' add up to ' || CAST(refunded AS VARCHAR)
                 || ', more than the ' || CAST(paid AS VARCHAR) || ' it paid' END
FROM running
WHERE paid IS NULL OR refunded > paid;
