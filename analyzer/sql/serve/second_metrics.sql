-- second_metrics as stored (per second and analysed campaign, the incident with a margin),
-- for the timeline figure. Parameters: none. Grain: one row per second and campaign.
SELECT second, campaign_id, payments, amount, discount, discount_rate_pct, affected_txns, excess,
       priced_by_bad_version
FROM second_metrics
ORDER BY second, campaign_id
