-- The drill-down of one affected user: every payment of the user that the analysis priced
-- (the analysed campaigns), with amount, discount, expected, excess, the version that priced it
-- (as logged, and the one that explains the discount), the intended version, and its refunds.
-- Placeholders: {{user_id}} `user_id` or `pseudonym(user_id)` (the id as shown: a masked id is
--   resolved to the user inside SQL); {{merchant_id}} likewise for the payee.
-- Parameters: $user (the id as shown). Grain: one row per priced payment of the user.
WITH u AS (
    SELECT user_id FROM affected_users WHERE {{user_id}} = $user
), pay AS (
    SELECT p.* FROM priced_transactions p WHERE p.user_id IN (SELECT user_id FROM u)
), refunds AS (
    SELECT r.original_txn_id AS txn_id, count(*) AS refunds,
           CAST(sum(r.amount) AS DECIMAL(18,2)) AS refunded_amount, max(r.ts) AS last_refund_at
    FROM transactions r
    WHERE r.type = 'refund' AND r.original_txn_id IN (SELECT txn_id FROM pay)
    GROUP BY r.original_txn_id
)
SELECT p.txn_id, p.ts, {{merchant_id}} AS merchant_id, p.scene, p.amount, p.discount, p.expected, p.excess,
       p.excess <> 0 AS affected,
       p.logged_version, p.explained_by, p.intended_version, p.lagged, p.in_bad_period,
       coalesce(r.refunds, 0) AS refunds, coalesce(r.refunded_amount, 0.00) AS refunded_amount,
       coalesce(r.refunded_amount >= p.amount - p.discount, false) AS fully_refunded,
       r.last_refund_at
FROM pay p LEFT JOIN refunds r USING (txn_id)
ORDER BY p.ts, p.txn_id
