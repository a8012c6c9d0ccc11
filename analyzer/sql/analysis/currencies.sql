-- The currencies of the payments an analysis would price ($campaigns empty: every campaign),
-- NULL standing for the database's one currency (no currency column). Grain: one row per currency.
SELECT currency, count(*) AS payments
FROM main.transactions
WHERE type = 'payment' AND campaign_id IS NOT NULL
  AND (len($campaigns) = 0 OR list_contains($campaigns, campaign_id))
GROUP BY currency
ORDER BY currency NULLS FIRST
