-- priced_transactions in Spark SQL: the same statement as analysis/priced_transactions.sql in
-- the forms Spark accepts (array_contains, no [NOT] MATERIALIZED hints, the lag tolerance in
-- epoch microseconds (exact), max_by); kept apart only while that file is being reworked.
-- priced_transactions: every payment of the incident campaign(s), priced against its intended
-- config (DESIGN.md, "The model of a discount").
--   live_*       the version live at the payment's instant (interval join on [valid_from, valid_until))
--   explained_by the version whose apply() reproduces the logged discount: the logged
--                config_version when it does, else the live one, else the latest version live
--                within the lag tolerance before the payment; NULL when none does
--   intended_*   inside the bad period [bad_from, fix_from): the version from just before the
--                bad change; outside: explained_by when it is a good version, else the live one
--   expected = apply(intended, payment); excess = discount - expected (either sign)
-- Only payments that the live version does not explain (or whose logged version disagrees)
-- meet the wider candidate join: near a change, that is a few; elsewhere, anomalies. The rest
-- (simple) are priced from the live version alone, with no further join.
-- Memory: `live` is not materialized (it is a scan and an interval join, cheap to run twice);
-- only the few hard rows are. Materializing every payment of the campaign here once took more
-- memory than the whole rest of the analysis.
-- Parameters: $campaigns VARCHAR[], $bad_campaign, $bad_from, $fix_from (NULL = still open),
--   $bad_seq, $fix_seq (NULL = still open), $tolerance_ms.
-- Grain: one row per payment (txn_id) of the campaigns.
CREATE OR REPLACE TABLE priced_transactions AS
WITH v AS (
    SELECT * FROM config_versions WHERE array_contains($campaigns, campaign_id)
), pre AS (
    -- the config from just before the bad change: what every payment of the bad period is intended to get
    SELECT prev_version AS pre_version, prev_change_id AS pre_change_id, prev_discount_type AS pre_type,
           prev_discount_value AS pre_value, prev_max_discount AS pre_cap, prev_min_amount AS pre_min,
           prev_scenes AS pre_scenes, prev_enabled AS pre_enabled
    FROM config_versions WHERE campaign_id = $bad_campaign AND version_seq = $bad_seq
), live AS (
    SELECT t.txn_id, t.ts, t.user_id, t.merchant_id, t.scene, t.amount, t.discount, t.campaign_id,
           t.config_version AS logged_version,
           v.version_seq AS live_seq, v.version AS live_version, v.change_id AS live_change_id,
           apply_discount(v.discount_type, v.discount_value, v.max_discount, v.min_amount, v.scenes, v.enabled, t.amount, t.scene) AS by_live,
           (t.campaign_id = $bad_campaign AND t.ts >= $bad_from AND ($fix_from IS NULL OR t.ts < $fix_from)) AS in_bad_period
    FROM transactions t
    LEFT JOIN v ON v.campaign_id = t.campaign_id AND t.ts >= v.valid_from AND t.ts < v.valid_until
    WHERE t.type = 'payment' AND array_contains($campaigns, t.campaign_id)
), simple AS (
    -- the common case: the live version reproduces the discount and the log agrees; only the
    -- bad period changes what is intended (the config from before the bad change)
    SELECT l.txn_id, l.ts, l.user_id, l.merchant_id, l.scene, l.amount, l.discount, l.campaign_id, l.logged_version,
           l.live_version, l.live_change_id,
           false AS version_disagrees,
           l.live_version AS explained_by, l.live_change_id AS explained_change_id,
           false AS lagged,
           l.in_bad_period,
           (l.campaign_id = $bad_campaign AND l.live_seq >= $bad_seq AND ($fix_seq IS NULL OR l.live_seq < $fix_seq)) AS priced_by_bad_version,
           CASE WHEN l.in_bad_period THEN p.pre_version ELSE l.live_version END AS intended_version,
           CASE WHEN l.in_bad_period THEN p.pre_change_id ELSE l.live_change_id END AS intended_change_id,
           CASE WHEN l.in_bad_period
                THEN apply_discount(p.pre_type, p.pre_value, p.pre_cap, p.pre_min, p.pre_scenes, p.pre_enabled, l.amount, l.scene)
                ELSE l.by_live END AS expected
    FROM live l LEFT JOIN pre p ON true
    WHERE l.live_seq IS NOT NULL AND l.discount = l.by_live
      AND (l.logged_version IS NULL OR l.logged_version = l.live_version)
), hard AS (
    SELECT * FROM live
    WHERE NOT (live_seq IS NOT NULL AND discount = by_live
               AND (logged_version IS NULL OR logged_version = live_version))
), candidates AS (
    SELECT h.txn_id, v.version_seq,
           apply_discount(v.discount_type, v.discount_value, v.max_discount, v.min_amount, v.scenes, v.enabled, h.amount, h.scene) AS by_v,
           v.version = h.logged_version AS is_logged
    FROM hard h
    JOIN v
      ON v.campaign_id = h.campaign_id
     AND (v.version = h.logged_version
          OR (v.valid_from <= h.ts AND unix_micros(v.valid_until) > unix_micros(h.ts) - $tolerance_ms * 1000))
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
