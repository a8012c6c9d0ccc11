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
-- meet the wider candidate join: near a change, that is a few; elsewhere, anomalies.
-- Parameters: $campaigns VARCHAR[], $bad_campaign, $bad_from, $fix_from (NULL = still open),
--   $bad_seq, $fix_seq (NULL = still open), $tolerance_ms.
-- Grain: one row per payment (txn_id) of the campaigns.
CREATE OR REPLACE TABLE priced_transactions AS
WITH live AS (
    SELECT t.txn_id, t.ts, t.user_id, t.merchant_id, t.scene, t.amount, t.discount, t.campaign_id,
           t.config_version AS logged_version,
           v.version_seq AS live_seq, v.version AS live_version,
           apply_discount(v.discount_type, v.discount_value, v.max_discount, v.min_amount, v.scenes, v.enabled, t.amount, t.scene) AS by_live
    FROM transactions t
    LEFT JOIN config_versions v
      ON v.campaign_id = t.campaign_id AND t.ts >= v.valid_from AND t.ts < v.valid_until
    WHERE t.type = 'payment' AND list_contains($campaigns, t.campaign_id)
), simple AS (
    -- the common case: the live version reproduces the discount and the log agrees
    SELECT * FROM live
    WHERE live_seq IS NOT NULL AND discount = by_live
      AND (logged_version IS NULL OR logged_version = live_version)
), hard AS (
    SELECT * FROM live
    WHERE NOT (live_seq IS NOT NULL AND discount = by_live
               AND (logged_version IS NULL OR logged_version = live_version))
), candidates AS (
    SELECT h.txn_id, v.version_seq,
           apply_discount(v.discount_type, v.discount_value, v.max_discount, v.min_amount, v.scenes, v.enabled, h.amount, h.scene) AS by_v,
           v.version = h.logged_version AS is_logged
    FROM hard h
    JOIN config_versions v
      ON v.campaign_id = h.campaign_id
     AND (v.version = h.logged_version
          OR (v.valid_from <= h.ts AND v.valid_until > h.ts - to_milliseconds($tolerance_ms)))
), explained AS (
    SELECT c.txn_id,
           arg_max(c.version_seq, (c.is_logged, c.version_seq)) AS explained_seq
    FROM candidates c JOIN hard h USING (txn_id)
    WHERE c.by_v = h.discount
    GROUP BY c.txn_id
), resolved AS (
    SELECT s.*, s.live_seq AS explained_seq FROM simple s
    UNION ALL BY NAME
    SELECT h.*, e.explained_seq FROM hard h LEFT JOIN explained e USING (txn_id)
), intended AS (
    SELECT r.*,
        (r.campaign_id = $bad_campaign AND r.ts >= $bad_from AND ($fix_from IS NULL OR r.ts < $fix_from)) AS in_bad_period,
        (r.campaign_id = $bad_campaign AND r.explained_seq >= $bad_seq
            AND ($fix_seq IS NULL OR r.explained_seq < $fix_seq)) AS explained_by_bad
    FROM resolved r
), chosen AS (
    SELECT i.*,
        CASE
            WHEN i.in_bad_period THEN $bad_seq - 1
            WHEN i.explained_seq IS NOT NULL AND NOT coalesce(i.explained_by_bad, false) THEN i.explained_seq
            ELSE i.live_seq
        END AS intended_seq
    FROM intended i
)
SELECT
    c.txn_id, c.ts, c.user_id, c.merchant_id, c.scene, c.amount, c.discount, c.campaign_id,
    c.logged_version,
    c.live_version,
    lv.change_id AS live_change_id,
    c.logged_version IS NOT NULL AND c.logged_version IS DISTINCT FROM c.live_version AS version_disagrees,
    ev.version AS explained_by,
    ev.change_id AS explained_change_id,
    c.explained_seq IS NOT NULL AND c.explained_seq IS DISTINCT FROM c.live_seq AS lagged,
    c.in_bad_period,
    coalesce(c.explained_by_bad, false) AS priced_by_bad_version,
    iv.version AS intended_version,
    iv.change_id AS intended_change_id,
    apply_discount(iv.discount_type, iv.discount_value, iv.max_discount, iv.min_amount, iv.scenes, iv.enabled, c.amount, c.scene) AS expected,
    CAST(c.discount - apply_discount(iv.discount_type, iv.discount_value, iv.max_discount, iv.min_amount, iv.scenes, iv.enabled, c.amount, c.scene) AS DECIMAL(18,2)) AS excess
FROM chosen c
LEFT JOIN config_versions lv ON lv.campaign_id = c.campaign_id AND lv.version_seq = c.live_seq
LEFT JOIN config_versions ev ON ev.campaign_id = c.campaign_id AND ev.version_seq = c.explained_seq
LEFT JOIN config_versions iv ON iv.campaign_id = c.campaign_id AND iv.version_seq = c.intended_seq;
