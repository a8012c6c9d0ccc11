-- What a per-payment cap would cut of a proposed config's discounts over the what-if window
-- (lint_whatif.sql's window_start / window_end). Parameters: $campaign_id, $window_start,
-- $window_end, $p_type, $p_value, $p_cap, $p_min, $p_scenes, $p_enabled, $caps (DECIMAL[]).
-- Grain: one row per cap.
WITH priced AS (
    SELECT apply_discount($p_type, $p_value, $p_cap, $p_min, $p_scenes, $p_enabled, t.amount, t.scene) AS by_proposed
    FROM transactions t
    WHERE t.type = 'payment' AND t.campaign_id = $campaign_id
      AND t.ts >= CAST($window_start AS TIMESTAMPTZ) AND t.ts < CAST($window_end AS TIMESTAMPTZ)
), caps AS (
    SELECT unnest(CAST($caps AS DECIMAL(18,2)[])) AS cap
)
SELECT c.cap,
       count(*) FILTER (p.by_proposed > c.cap) AS payments,
       CAST(coalesce(sum(p.by_proposed - c.cap) FILTER (p.by_proposed > c.cap), 0) AS DECIMAL(18,2)) AS cut
FROM caps c LEFT JOIN priced p ON true
GROUP BY c.cap
ORDER BY c.cap
