-- The incident a replay runs against: the analysis's own answer (incident_summary) and the
-- excess at stake over every priced payment of the analysed campaign(s).
--   excess_at_stake  the over-discount of every payment (excess > 0): what a guardrail could
--                    prevent; under-discounted payments are no guardrail's to give back
--   incident_*       the same, of the payments of the bad period or priced by the bad version
--                    (lagging nodes after the fix): what holding the bad change prevents
--   data_from        the earliest loaded payment (of any campaign): where the loaded data starts
-- Grain: one row.
SELECT s.campaign_id AS bad_campaign,
       coalesce(s.campaigns, [s.campaign_id]) AS campaigns,
       s.bad_change_id, s.fix_change_id,
       s.config_window_start AS bad_from, s.config_window_end AS fix_from,
       s.first_affected_at, s.last_affected_at,
       coalesce(s.display_tz, 'UTC') AS display_tz,
       (SELECT min(ts) FROM transactions WHERE type = 'payment') AS data_from,
       p.payments, p.over_discounted_payments, p.excess_at_stake, p.incident_payments, p.incident_excess
FROM incident_summary s, (
    SELECT count(*) AS payments,
           count(*) FILTER (excess > 0) AS over_discounted_payments,
           CAST(coalesce(sum(excess) FILTER (excess > 0), 0) AS DECIMAL(18,2)) AS excess_at_stake,
           count(*) FILTER (excess > 0 AND (in_bad_period OR priced_by_bad_version)) AS incident_payments,
           CAST(coalesce(sum(excess) FILTER (excess > 0 AND (in_bad_period OR priced_by_bad_version)), 0)
                AS DECIMAL(18,2)) AS incident_excess
    FROM priced_transactions
) p
