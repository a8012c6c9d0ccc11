-- per_payment_cap: every discount is cut to at most the cap; a payment keeps min(discount, cap).
-- acts on: payment
-- param max_discount (money): the most discount one payment may keep
-- describe: no payment keeps more than {max_discount} of discount
-- Verdicts (the contract of a payment rule, analyzer/guardrails/rules.py): one row per payment of
-- priced_transactions the cap can touch (the cap is below its discount or its expected
-- discount): txn_id, campaign_id, limit_amount = the cap. Payments left out keep their discount.
-- Parameters: $max_discount.
SELECT txn_id, campaign_id, CAST($max_discount AS DECIMAL(18,2)) AS limit_amount,
       CAST(NULL AS TIMESTAMPTZ) AS tripped_at, CAST(NULL AS BOOLEAN) AS elsewhere
FROM priced_transactions
WHERE greatest(discount, expected) > CAST($max_discount AS DECIMAL(18,2))
