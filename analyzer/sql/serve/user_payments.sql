-- The drill-down of one affected user: the user's payments that the analysis priced (the
-- analysed campaigns), with amount, discount, expected, excess, the version that priced it
-- (as logged, and the one that explains the discount), the intended version, and its refunds.
-- By default only the notable ones, stored in priced_exceptions (affected, lagged, unexplained:
-- milliseconds at any size); on request every one, through the view priced_transactions, whose
-- ordinary part is computed from the transactions when read: one scan of the campaign's
-- payments (about 0.5 s per 10M payments here), filtered by the user while scanning.
-- The user is found first (user_lookup.sql), so its id is a constant here; the refunds come
-- from payment_refunds (affected.sql), not from a scan of every transaction.
-- Placeholders: {{merchant_id}} `merchant_id` or `pseudonym(merchant_id)` (the payee as shown);
--   {{priced}} `priced_exceptions` (notable only) or `priced_transactions` (every one).
-- Parameters: $user_id (the real id; NULL: no such user, no rows). Grain: one row per priced payment of the user.
WITH pay AS (
    SELECT p.* FROM {{priced}} p WHERE p.user_id = $user_id
)
SELECT p.txn_id, p.ts, {{merchant_id}} AS merchant_id, p.scene, p.amount, p.discount, p.expected, p.excess,
       p.excess <> 0 AS affected,
       p.logged_version, p.explained_by, p.intended_version, p.lagged, p.in_bad_period,
       coalesce(r.refunds, 0) AS refunds, coalesce(r.refunded_amount, 0.00) AS refunded_amount,
       coalesce(r.refunded_amount >= p.amount - p.discount, false) AS fully_refunded,
       r.last_refund_at
FROM pay p LEFT JOIN payment_refunds r USING (txn_id)
ORDER BY p.ts, p.txn_id
