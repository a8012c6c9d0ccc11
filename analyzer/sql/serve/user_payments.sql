-- The drill-down of one affected user: every payment of the user that the analysis priced
-- (the analysed campaigns), with amount, discount, expected, excess, the version that priced it
-- (as logged, and the one that explains the discount), the intended version, and its refunds.
-- The user is found first (user_lookup.sql), so its id is a constant here: DuckDB filters the
-- payments by it while scanning (the ordinary ones inside the view priced_ordinary), once; the
-- refunds come from payment_refunds (affected.sql), not from a scan of every transaction.
-- Placeholders: {{merchant_id}} `merchant_id` or `pseudonym(merchant_id)` (the payee as shown).
-- Parameters: $user_id (the real id; NULL: no such user, no rows). Grain: one row per priced payment of the user.
WITH pay AS (
    SELECT p.* FROM priced_transactions p WHERE p.user_id = $user_id
)
SELECT p.txn_id, p.ts, {{merchant_id}} AS merchant_id, p.scene, p.amount, p.discount, p.expected, p.excess,
       p.excess <> 0 AS affected,
       p.logged_version, p.explained_by, p.intended_version, p.lagged, p.in_bad_period,
       coalesce(r.refunds, 0) AS refunds, coalesce(r.refunded_amount, 0.00) AS refunded_amount,
       coalesce(r.refunded_amount >= p.amount - p.discount, false) AS fully_refunded,
       r.last_refund_at
FROM pay p LEFT JOIN payment_refunds r USING (txn_id)
ORDER BY p.ts, p.txn_id
