-- The currencies of the payments an analysis would price ($campaigns empty: every campaign),
-- NULL standing for the database's one currency (no currency column). Grain: one row per currency.
-- {{raw_transactions}}: the raw table (main.transactions in DuckDB, whatever the analysis schema).
SELECT currency, count(*) AS payments
FROM {{raw_transactions}}
WHERE type = 'payment' AND campaign_id IS NOT NULL
  AND (cardinality($campaigns) = 0 OR array_contains($campaigns, campaign_id))
GROUP BY currency
ORDER BY currency NULLS FIRST
