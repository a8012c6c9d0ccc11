-- priced_exceptions: the payments of the incident campaign(s) that matter, priced against
-- their intended config (DESIGN.md, "The model of a discount"): every payment the live version
-- alone does not price (not explained by it, lagged, logged with another version, no version
-- live: "hard") and every payment with an excess (in the bad period). The ordinary rest is
-- the view priced_ordinary (priced_transactions.sql), and priced_transactions the two together.
--   live_*       the version live at the payment's instant (interval join on [valid_from, valid_until))
--   explained_by the version whose apply() reproduces the logged discount: the logged
--                config_version when it does, else the live one, else the latest version live
--                within the lag tolerance before the payment; NULL when none does
--   intended_*   inside the bad period [bad_from, fix_from): the version from just before the
--                bad change; outside: explained_by when it is a good version, else the live one
--   expected = apply(intended, payment); excess = discount - expected (either sign)
-- One statement for both engines (analyze --engine duckdb | spark): written in the forms DuckDB
-- and Spark SQL both accept (array_contains, max_by over a tuple, a plain column list), with
-- the dialect templates of analyzer/sql.py for what they spell differently:
-- {{materialized}} / {{not_materialized}} (DuckDB's CTE hints, nothing on Spark) and
-- {{tolerance_before:col}} (the instant $tolerance_ms before col).
-- Parameters: $campaigns VARCHAR[], $bad_campaign, $bad_from, $fix_from (NULL = still open),
--   $bad_seq, $fix_seq (NULL = still open), $tolerance_ms.
-- Grain: one row per notable payment (txn_id).
CREATE OR REPLACE TABLE priced_exceptions AS
WITH v AS (
    SELECT * FROM config_versions WHERE array_contains($campaigns, campaign_id)
), pre AS (
    -- the config from just before the bad change: what every payment of the bad period is intended to get
    SELECT prev_version AS pre_version, prev_change_id AS pre_change_id, prev_discount_type AS pre_type,
           prev_discount_value AS pre_value, prev_max_discount AS pre_cap, prev_min_amount AS pre_min,
           prev_scenes AS pre_scenes, prev_enabled AS pre_enabled
    FROM config_versions WHERE campaign_id = $bad_campaign AND version_seq = $bad_seq
), live AS {{not_materialized}} (
    SELECT t.txn_id, t.ts, t.user_id, t.merchant_id, t.scene, t.amount, t.discount, t.campaign_id,
           t.config_version AS logged_version,
           v.version_seq AS live_seq, v.version AS live_version, v.change_id AS live_change_id,
           apply_discount(v.discount_type, v.discount_value, v.max_discount, v.min_amount, v.scenes, v.enabled, t.amount, t.scene) AS by_live,
           (t.campaign_id = $bad_campaign AND t.ts >= $bad_from AND ($fix_from IS NULL OR t.ts < $fix_from)) AS in_bad_period
    FROM transactions t
    LEFT JOIN v ON v.campaign_id = t.campaign_id AND t.ts >= v.valid_from AND t.ts < v.valid_until
    WHERE t.type = 'payment' AND array_contains($campaigns, t.campaign_id)
), notable AS {{materialized}} (
    -- one pass: the hard payments, and the simple ones of the bad period whose intended config
    -- (the one before the bad change) gives another discount
    SELECT l.*, (l.live_seq IS NOT NULL AND l.discount = l.by_live
                 AND (l.logged_version IS NULL OR l.logged_version = l.live_version)) AS is_simple,
           CASE WHEN l.in_bad_period
                THEN apply_discount(p.pre_type, p.pre_value, p.pre_cap, p.pre_min, p.pre_scenes, p.pre_enabled, l.amount, l.scene)
           END AS by_pre
    FROM live l LEFT JOIN pre p ON true
    WHERE NOT (l.live_seq IS NOT NULL AND l.discount = l.by_live
               AND (l.logged_version IS NULL OR l.logged_version = l.live_version))
       OR (l.in_bad_period AND l.discount IS DISTINCT FROM
           apply_discount(p.pre_type, p.pre_value, p.pre_cap, p.pre_min, p.pre_scenes, p.pre_enabled, l.amount, l.scene))
), simple AS (
    -- priced by the live version alone, but with an excess: the bad period's intended config differs
    SELECT n.txn_id, n.ts, n.user_id, n.merchant_id, n.scene, n.amount, n.discount, n.campaign_id, n.logged_version,
           n.live_version, n.live_change_id,
           false AS version_disagrees,
           n.live_version AS explained_by, n.live_change_id AS explained_change_id,
           false AS lagged,
           n.in_bad_period,
           (n.campaign_id = $bad_campaign AND n.live_seq >= $bad_seq AND ($fix_seq IS NULL OR n.live_seq < $fix_seq)) AS priced_by_bad_version,
           CASE WHEN n.in_bad_period THEN p.pre_version ELSE n.live_version END AS intended_version,
           CASE WHEN n.in_bad_period THEN p.pre_change_id ELSE n.live_change_id END AS intended_change_id,
           CASE WHEN n.in_bad_period THEN n.by_pre ELSE n.by_live END AS expected
    FROM notable n LEFT JOIN pre p ON true
    WHERE n.is_simple
), hard AS (
    SELECT txn_id, ts, user_id, merchant_id, scene, amount, discount, campaign_id, logged_version,
           live_seq, live_version, live_change_id, by_live, in_bad_period
    FROM notable WHERE NOT is_simple
), candidates AS (
    SELECT h.txn_id, v.version_seq,
           apply_discount(v.discount_type, v.discount_value, v.max_discount, v.min_amount, v.scenes, v.enabled, h.amount, h.scene) AS by_v,
           v.version = h.logged_version AS is_logged
    FROM hard h
    JOIN v
      ON v.campaign_id = h.campaign_id
     AND (v.version = h.logged_version
          OR (v.valid_from <= h.ts AND v.valid_until > {{tolerance_before:h.ts}}))
), explained AS (
    SELECT c.txn_id,
           max_by(c.version_seq, (c.is_logged, c.version_seq)) AS explained_seq
    FROM candidates c JOIN hard h USING (txn_id)
    WHERE c.by_v = h.discount
    GROUP BY c.txn_id
), chosen AS (
    SELECT h.*, e.explained_seq,
        (h.campaign_id = $bad_campaign AND e.explained_seq >= $bad_seq
            AND ($fix_seq IS NULL OR e.explained_seq < $fix_seq)) AS explained_by_bad
    FROM hard h LEFT JOIN explained e USING (txn_id)
), hard_priced AS (
    SELECT c.txn_id, c.ts, c.user_id, c.merchant_id, c.scene, c.amount, c.discount, c.campaign_id, c.logged_version,
           c.live_version, c.live_change_id,
           c.logged_version IS NOT NULL AND c.logged_version IS DISTINCT FROM c.live_version AS version_disagrees,
           ev.version AS explained_by, ev.change_id AS explained_change_id,
           c.explained_seq IS NOT NULL AND c.explained_seq IS DISTINCT FROM c.live_seq AS lagged,
           c.in_bad_period,
           coalesce(c.explained_by_bad, false) AS priced_by_bad_version,
           iv.version AS intended_version, iv.change_id AS intended_change_id,
           apply_discount(iv.discount_type, iv.discount_value, iv.max_discount, iv.min_amount, iv.scenes, iv.enabled, c.amount, c.scene) AS expected
    FROM chosen c
    LEFT JOIN v ev ON ev.campaign_id = c.campaign_id AND ev.version_seq = c.explained_seq
    LEFT JOIN v iv ON iv.campaign_id = c.campaign_id AND iv.version_seq = CASE
            WHEN c.in_bad_period THEN $bad_seq - 1
            WHEN c.explained_seq IS NOT NULL AND NOT coalesce(c.explained_by_bad, false) THEN c.explained_seq
            ELSE c.live_seq END
)
SELECT *, CAST(discount - expected AS DECIMAL(18,2)) AS excess FROM simple
UNION ALL
SELECT *, CAST(discount - expected AS DECIMAL(18,2)) AS excess FROM hard_priced;
