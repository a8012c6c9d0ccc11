-- per_user_budget: each user gets at most a budget of discount from a campaign per calendar day (or hour, week, month).
-- acts on: payment
-- param max_per_user (money): the most discount one user may get from the campaign in one window
-- param window (one of day|hour|week|month, default day): the budget's period, on the calendar of the incident's zone (weeks from Monday)
-- describe: no user gets more than {max_per_user} of discount from the campaign per calendar {window} ({display_tz})
-- In time order (ties by txn_id), a payment keeps at most what is left of the user's budget that
-- day (allowed = min(discount, left), then left -= allowed). Since every discount is >= 0 this is
-- left = max(0, budget - the discount of the user's earlier payments that day): one window sum,
-- no recursion. The day (hour, ...) is the payment's on the calendar of $display_tz
-- (incident_summary.display_tz).
-- Verdicts: one row per payment whose budget left is below its discount or its expected
-- discount: txn_id, campaign_id, limit_amount = the budget left.
-- Parameters: $max_per_user, $window, $display_tz.
WITH budget AS (
    SELECT txn_id, campaign_id, discount, expected,
           greatest(CAST(0 AS DECIMAL(18,2)), CAST($max_per_user AS DECIMAL(18,2)) - coalesce(sum(discount) OVER (
               PARTITION BY user_id, campaign_id, date_trunc($window, timezone($display_tz, ts))
               ORDER BY ts, txn_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)) AS budget_left
    FROM priced_transactions
)
SELECT txn_id, campaign_id, CAST(budget_left AS DECIMAL(18,2)) AS limit_amount,
       CAST(NULL AS TIMESTAMPTZ) AS tripped_at, CAST(NULL AS BOOLEAN) AS elsewhere
FROM budget
WHERE budget_left < greatest(discount, expected)
