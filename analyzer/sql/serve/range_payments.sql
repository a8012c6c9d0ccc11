-- One page of the affected payments inside a time range, in time order (Timeline page); ids
-- masked after the page is cut.
-- Placeholders: {{user_id}}, {{merchant_id}} (`col` or `pseudonym(col)`).
-- Parameters: $from, $to (TIMESTAMPTZ, inclusive), $limit, $offset. Grain: one row per payment.
WITH page AS (
    SELECT * FROM affected_transactions AS t
    WHERE t.ts >= $from AND t.ts <= $to
    ORDER BY t.ts, t.txn_id
    LIMIT $limit OFFSET $offset
)
SELECT txn_id, ts, {{user_id}} AS user_id, {{merchant_id}} AS merchant_id, scene, amount, discount,
       expected, excess, net_excess, logged_version, intended_version, lagged, in_bad_period
FROM page AS t
ORDER BY t.ts, t.txn_id
