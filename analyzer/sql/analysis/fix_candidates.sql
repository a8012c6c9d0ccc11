-- Candidates for the change that ends a bad period: every later change of the bad change's
-- campaign, tested on that campaign's payments since the bad change. A candidate that gives
-- no payment more than the config from before the bad change (payments_over = 0) stops the
-- over-discount; one that also gives none less (payments_under = 0) behaves as intended.
-- A partial fix that is still wrong has payments_over > 0 and does not end the bad period.
-- Written in the forms DuckDB and Spark SQL both accept.
-- Parameters: $campaign_id, $bad_seq (version_seq of the bad change).
-- Grain: one row per later change, in order.
WITH bad AS (
    SELECT * FROM config_versions WHERE campaign_id = $campaign_id AND version_seq = $bad_seq
), later AS (
    SELECT * FROM config_versions WHERE campaign_id = $campaign_id AND version_seq > $bad_seq
), pays AS (
    SELECT t.amount, t.scene,
           apply_discount(bad.prev_discount_type, bad.prev_discount_value, bad.prev_max_discount, bad.prev_min_amount,
                          bad.prev_scenes, bad.prev_enabled, t.amount, t.scene) AS by_pre
    FROM transactions t, bad
    WHERE t.type = 'payment' AND t.campaign_id = $campaign_id AND t.ts >= bad.valid_from
)
SELECT l.change_id, l.version_seq, l.valid_from,
       count(p.amount) FILTER (WHERE apply_discount(l.discount_type, l.discount_value, l.max_discount, l.min_amount, l.scenes, l.enabled, p.amount, p.scene) > p.by_pre) AS payments_over,
       count(p.amount) FILTER (WHERE apply_discount(l.discount_type, l.discount_value, l.max_discount, l.min_amount, l.scenes, l.enabled, p.amount, p.scene) < p.by_pre) AS payments_under
FROM later l LEFT JOIN pays p ON true
GROUP BY ALL
ORDER BY l.version_seq;
