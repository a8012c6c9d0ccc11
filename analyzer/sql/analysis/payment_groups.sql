-- payment_groups: the one pass over every payment that change_impact and minute_metrics share.
-- Each payment meets the version of its campaign live at its instant (interval join; none for a
-- payment without a campaign or before the campaign's first version), and is reduced at once to
-- its group: minute x campaign x live change. Per group: payments, amount, discount, and for
-- change_impact the payments the live change explains (the logged config_version is its
-- version, or its config reproduces the logged discount) and what the version before it would
-- have given them (by_prev).
-- Minutes are integer keys (epoch minutes) while grouping: date_trunc on TIMESTAMPTZ is costly
-- per row and is applied to the ~10^3 groups instead.
-- Written in the forms DuckDB and Spark SQL both accept (apply_discount is each engine's own:
-- macros.sql, spark/analysis/macros.sql).
-- Parameters: $campaigns (VARCHAR[]; empty = all campaigns): the changes whose impact is wanted.
-- Grain: one row per minute, campaign ('' = none) and live change (NULL = none or not wanted).
CREATE OR REPLACE TEMP TABLE payment_groups AS
WITH pairs AS (
    SELECT * FROM config_versions
    WHERE cardinality($campaigns) = 0 OR array_contains($campaigns, campaign_id)
), priced AS (
    SELECT {{epoch_minute:ts}} AS minute_key, coalesce(t.campaign_id, '') AS campaign_id, v.change_id,
           t.amount, t.discount,
           CASE WHEN v.change_id IS NOT NULL THEN
               coalesce(t.config_version = v.version,
                        t.discount = apply_discount(v.discount_type, v.discount_value, v.max_discount, v.min_amount, v.scenes, v.enabled, t.amount, t.scene))
           END AS explained,
           CASE WHEN v.change_id IS NOT NULL THEN
               apply_discount(v.prev_discount_type, v.prev_discount_value, v.prev_max_discount, v.prev_min_amount, v.prev_scenes, v.prev_enabled, t.amount, t.scene)
           END AS by_prev
    FROM transactions t
    LEFT JOIN pairs v ON t.campaign_id = v.campaign_id AND t.ts >= v.valid_from AND t.ts < v.valid_until
    WHERE t.type = 'payment'
)
SELECT minute_key, campaign_id, change_id,
       count(*) AS payments,
       sum(amount) AS amount,
       sum(discount) AS discount,
       count(*) FILTER (WHERE explained) AS payments_priced,
       sum(discount - by_prev) FILTER (WHERE explained) AS excess_introduced,
       count(*) FILTER (WHERE explained AND discount > by_prev) AS payments_over,
       count(*) FILTER (WHERE explained AND discount < by_prev) AS payments_under
FROM priced
GROUP BY ALL;
