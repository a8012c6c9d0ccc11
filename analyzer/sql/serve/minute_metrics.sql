-- minute_metrics as stored (per minute and campaign), for the timeline figure.
-- Parameters: none. Grain: one row per minute and campaign ('' = no campaign).
SELECT minute, campaign_id, payments, amount, discount, discount_rate_pct, affected_txns, excess
FROM minute_metrics
ORDER BY minute, campaign_id
