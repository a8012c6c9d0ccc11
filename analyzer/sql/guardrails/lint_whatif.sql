-- What-if price of a proposed config: the campaign's payments of the last $hours hours before it
-- (up to its instant, or the campaign's last loaded payment when that is earlier), priced with
-- the config live now ($c_*, the version before the change) and with the proposed one ($p_*),
-- through the analysis's apply_discount. covered_from: where the window meets the loaded data
-- (the per-hour rate is over the covered part).
-- Parameters: $campaign_id, $ts, $hours, $c_type, $c_value, $c_cap, $c_min, $c_scenes, $c_enabled,
--   $p_type, $p_value, $p_cap, $p_min, $p_scenes, $p_enabled.
-- Grain: one row.
WITH bounds AS (
    SELECT least(CAST($ts AS TIMESTAMPTZ),
                 (SELECT max(ts) FROM transactions WHERE type = 'payment' AND campaign_id = $campaign_id)
                     + INTERVAL 1 MILLISECOND) AS window_end
), w AS (
    SELECT window_end, window_end - to_hours(CAST($hours AS BIGINT)) AS window_start FROM bounds
), priced AS (
    SELECT t.txn_id, t.discount,
           apply_discount($c_type, $c_value, $c_cap, $c_min, $c_scenes, $c_enabled, t.amount, t.scene) AS by_current,
           apply_discount($p_type, $p_value, $p_cap, $p_min, $p_scenes, $p_enabled, t.amount, t.scene) AS by_proposed
    FROM transactions t, w
    WHERE t.type = 'payment' AND t.campaign_id = $campaign_id AND t.ts >= w.window_start AND t.ts < w.window_end
)
SELECT w.window_start, w.window_end,
       greatest(w.window_start, (SELECT min(ts) FROM transactions WHERE type = 'payment')) AS covered_from,
       (SELECT count(*) FROM priced) AS payments,
       (SELECT CAST(coalesce(sum(discount), 0) AS DECIMAL(18,2)) FROM priced) AS logged_discount,
       (SELECT CAST(coalesce(sum(by_current), 0) AS DECIMAL(18,2)) FROM priced) AS current_discount,
       (SELECT CAST(coalesce(sum(by_proposed), 0) AS DECIMAL(18,2)) FROM priced) AS proposed_discount,
       (SELECT count(*) FILTER (by_proposed > by_current) FROM priced) AS payments_more,
       (SELECT max(by_proposed) FROM priced) AS largest_proposed
FROM w
