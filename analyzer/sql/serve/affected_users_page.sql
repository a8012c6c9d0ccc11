-- One page of the Affected users table: filtered, sorted, LIMIT/OFFSET; ids masked after the
-- page is cut (a pseudonym costs a hash: only the rows shown pay for it).
-- Placeholders (fixed SQL chosen by analyzer/browse.py, never a value):
--   {{user_id}}  `user_id` or `pseudonym(user_id)` (masking);
--   {{filters}}  user_filters.sql;
--   {{order}}    a whitelisted column of `u` ASC/DESC, then u.user_id (for "user id" when
--                masking, the pseudonym: the order the reader sees); qualified, so that the
--                outer ORDER BY sorts the page's columns, not the masked output column.
-- Parameters: the filters' ($search, $scenes, $min_excess, $exploit, $refunded), $limit, $offset.
-- Grain: one row per affected user.
WITH page AS (
    SELECT * FROM affected_users AS u
    WHERE {{filters}}
    ORDER BY {{order}}
    LIMIT $limit OFFSET $offset
)
SELECT {{user_id}} AS user_id, excess_total, net_excess_total, affected_txns, exploit_flag,
       exploit_scene_txns, scenes, first_affected_at, last_affected_at, amount_total, discount_total,
       expected_total, fully_refunded_txns, partially_refunded_txns, merchants, exploit_reason
FROM page AS u
ORDER BY {{order}}
