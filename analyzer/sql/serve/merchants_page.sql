-- One page of affected_merchants, largest excess first, optionally searched by payee id (as
-- shown); ids masked after the page is cut. `matching` is the size of the searched set.
-- Placeholders: {{merchant_id}} (`merchant_id` or `pseudonym(merchant_id)`).
-- Parameters: $search (part of the id as shown, NULL = all), $limit, $offset.
-- Grain: one row per affected merchant (payee).
WITH page AS (
    SELECT *, count(*) OVER () AS matching
    FROM affected_merchants AS m
    WHERE coalesce($search, '') = '' OR contains(lower({{merchant_id}}), lower($search))
    ORDER BY m.excess_total DESC, m.merchant_id NULLS LAST
    LIMIT $limit OFFSET $offset
)
SELECT {{merchant_id}} AS merchant_id, affected_txns, affected_users, amount_total, discount_total,
       expected_total, excess_total, net_excess_total, scenes, first_affected_at, last_affected_at, matching
FROM page AS m
ORDER BY m.excess_total DESC, m.merchant_id NULLS LAST
