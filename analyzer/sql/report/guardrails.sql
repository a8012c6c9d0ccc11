-- guardrails: which guardrail would have stopped the incident, and how much it would have saved.
-- Runtime limits are replayed over affected_transactions with exact DECIMAL money: each gives
-- every affected payment a limited discount; excess_with = sum(limited - expected) and
-- saved = excess_before - excess_with (saved_net leaves out fully refunded payments, whose
-- discount came back anyway). legit_payments_cut counts the payments with no excess whose
-- discount the limit would also have cut (the price of the guardrail).
-- Change controls (a second approver, a review of risky edits) would have held the bad change
-- itself: when they apply they save all of its excess, else nothing.
-- The limits come from the data: the largest discount and the largest discount rate among the
-- bad campaign's payments priced before the bad change with a discount and no excess; without
-- such payments, from the config before the bad change.
-- Parameters: $bad_change_id.
-- Grain: one row per guardrail, in a fixed order (position).
WITH badv AS (
    SELECT * FROM config_versions WHERE change_id = $bad_change_id
), prev AS (
    SELECT prev_change_id AS change_id, prev_discount_type AS discount_type, prev_discount_value AS discount_value,
           prev_max_discount AS max_discount, prev_scenes AS scenes
    FROM badv WHERE prev_change_id IS NOT NULL
), impact AS (
    SELECT * FROM change_impact WHERE change_id = $bad_change_id
), baseline AS (
    SELECT count(*) AS payments,
           max(t.discount) AS max_discount,
           -- a policy limit, not money: the largest rate, rounded up to 0.01 percentage point
           CAST(ceil(max(CAST(t.discount AS DOUBLE) * 100 / CAST(t.amount AS DOUBLE)) * 100) / 100 AS DECIMAL(9,2)) AS max_rate_pct
    FROM priced_transactions t JOIN badv b ON t.campaign_id = b.campaign_id
    WHERE t.ts < b.valid_from AND t.discount > 0 AND t.excess = 0 AND t.amount > 0
), limits AS (
    SELECT
        coalesce(bl.max_discount,
                 CASE WHEN p.discount_type = 'fixed' THEN CAST(p.discount_value AS DECIMAL(18,2)) ELSE p.max_discount END) AS cap,
        coalesce(bl.max_rate_pct, CASE WHEN p.discount_type = 'percent' THEN CAST(p.discount_value AS DECIMAL(9,2)) END) AS rate_pct,
        CASE WHEN bl.payments > 0 THEN 'largest among the ' || bl.payments || ' discounted payments before the bad change'
             ELSE 'from the config before the bad change' END AS limit_source,
        p.scenes AS allowed_scenes,
        p.change_id IS NOT NULL AND NOT list_contains(p.scenes, '*') AS scenes_restricted
    FROM (SELECT 1) one
    LEFT JOIN prev p ON true
    LEFT JOIN baseline bl ON true
), replay AS (
    SELECT a.discount, a.expected, a.excess, a.fully_refunded,
           CASE WHEN l.cap IS NULL THEN a.discount ELSE least(a.discount, l.cap) END AS by_cap,
           CASE WHEN l.rate_pct IS NULL THEN a.discount
                ELSE least(a.discount, CAST(CAST(round(a.amount * l.rate_pct, 0) AS DECIMAL(38,0)) * 0.01 AS DECIMAL(18,2))) END AS by_rate,
           CASE WHEN NOT l.scenes_restricted OR list_contains(l.allowed_scenes, a.scene) THEN a.discount ELSE 0.00 END AS by_scene
    FROM affected_transactions a, limits l
), legit AS (
    SELECT count(*) FILTER (t.discount > l.cap) AS by_cap,
           count(*) FILTER (t.discount > CAST(round(t.amount * l.rate_pct, 0) AS DECIMAL(38,0)) * 0.01) AS by_rate,
           count(*) FILTER (l.scenes_restricted AND NOT list_contains(l.allowed_scenes, t.scene) AND t.discount > 0) AS by_scene
    FROM priced_transactions t, limits l
    WHERE t.excess = 0
), totals AS (
    SELECT CAST(coalesce(sum(excess), 0) AS DECIMAL(18,2)) AS excess_before,
           CAST(coalesce(sum(excess) FILTER (NOT fully_refunded), 0) AS DECIMAL(18,2)) AS net_before,
           CAST(coalesce(sum(by_cap - expected), 0) AS DECIMAL(18,2)) AS with_cap,
           CAST(coalesce(sum(by_cap - expected) FILTER (NOT fully_refunded), 0) AS DECIMAL(18,2)) AS net_with_cap,
           count(*) FILTER (by_cap <> discount) AS limited_cap,
           CAST(coalesce(sum(by_rate - expected), 0) AS DECIMAL(18,2)) AS with_rate,
           CAST(coalesce(sum(by_rate - expected) FILTER (NOT fully_refunded), 0) AS DECIMAL(18,2)) AS net_with_rate,
           count(*) FILTER (by_rate <> discount) AS limited_rate,
           CAST(coalesce(sum(by_scene - expected), 0) AS DECIMAL(18,2)) AS with_scene,
           CAST(coalesce(sum(by_scene - expected) FILTER (NOT fully_refunded), 0) AS DECIMAL(18,2)) AS net_with_scene,
           count(*) FILTER (by_scene <> discount) AS limited_scene,
           count(*) AS affected
    FROM replay
), rules AS (
    SELECT 1 AS position, 'per-payment cap' AS guardrail, 'runtime limit' AS kind,
           l.cap IS NOT NULL AS applicable,
           CASE WHEN l.cap IS NULL THEN 'no discount before the bad change to take a cap from'
                ELSE 'no payment gets more than ' || CAST(l.cap AS VARCHAR) || ' off (' || l.limit_source || ')' END AS rule,
           t.with_cap AS excess_with, t.net_with_cap AS net_excess_with, t.limited_cap AS payments_limited,
           lg.by_cap AS legit_payments_cut
    FROM limits l, totals t, legit lg
    UNION ALL
    SELECT 2, 'max discount rate', 'runtime limit', l.rate_pct IS NOT NULL,
           CASE WHEN l.rate_pct IS NULL THEN 'no discount before the bad change to take a rate from'
                ELSE 'no payment gets more than ' || CAST(l.rate_pct AS VARCHAR) || '% of its amount off (' || l.limit_source || ')' END,
           t.with_rate, t.net_with_rate, t.limited_rate, lg.by_rate
    FROM limits l, totals t, legit lg
    UNION ALL
    SELECT 3, 'scene allow-list', 'runtime limit', l.scenes_restricted,
           CASE WHEN l.scenes_restricted THEN 'only the scenes eligible before the bad change get a discount ('
                    || array_to_string(list_sort(l.allowed_scenes), ', ') || ')'
                ELSE 'every scene was already eligible before the bad change: an allow-list taken from it changes nothing' END,
           t.with_scene, t.net_with_scene, t.limited_scene, lg.by_scene
    FROM limits l, totals t, legit lg
    UNION ALL
    SELECT 4, 'second approver', 'change control', NOT coalesce(i.approver_present, true),
           CASE WHEN NOT coalesce(i.approver_present, true) THEN 'a change to a live campaign needs a second person''s approval: the bad change had none'
                ELSE 'the bad change was approved by ' || i.approver || ': an approval rule alone would not have stopped it' END,
           CASE WHEN NOT coalesce(i.approver_present, true) THEN 0.00 ELSE t.excess_before END,
           CASE WHEN NOT coalesce(i.approver_present, true) THEN 0.00 ELSE t.net_before END,
           CASE WHEN NOT coalesce(i.approver_present, true) THEN t.affected ELSE 0 END, 0
    FROM totals t LEFT JOIN impact i ON true
    UNION ALL
    SELECT 5, 'review of risky edits', 'change control',
           coalesce(i.type_changed OR i.cap_removed OR i.scenes_widened_to_all OR i.min_removed, false),
           CASE WHEN coalesce(i.type_changed OR i.cap_removed OR i.scenes_widened_to_all OR i.min_removed, false)
                THEN 'hold a change that ' || concat_ws(', ',
                        CASE WHEN i.type_changed THEN 'changes the discount type' END,
                        CASE WHEN i.cap_removed THEN 'removes the cap' END,
                        CASE WHEN i.scenes_widened_to_all THEN 'widens the scenes to all' END,
                        CASE WHEN i.min_removed THEN 'removes the minimum amount' END) || ' for review: the bad change did'
                ELSE 'the bad change made none of the risky edits (type change, cap or minimum removed, all scenes)' END,
           CASE WHEN coalesce(i.type_changed OR i.cap_removed OR i.scenes_widened_to_all OR i.min_removed, false) THEN 0.00 ELSE t.excess_before END,
           CASE WHEN coalesce(i.type_changed OR i.cap_removed OR i.scenes_widened_to_all OR i.min_removed, false) THEN 0.00 ELSE t.net_before END,
           CASE WHEN coalesce(i.type_changed OR i.cap_removed OR i.scenes_widened_to_all OR i.min_removed, false) THEN t.affected ELSE 0 END, 0
    FROM totals t LEFT JOIN impact i ON true
)
SELECT r.position, r.guardrail, r.kind, r.applicable, r.rule,
       t.excess_before,
       CAST(r.excess_with AS DECIMAL(18,2)) AS excess_with,
       CAST(t.excess_before - r.excess_with AS DECIMAL(18,2)) AS saved,
       CAST(t.net_before - r.net_excess_with AS DECIMAL(18,2)) AS saved_net,
       r.payments_limited, r.legit_payments_cut
FROM rules r, totals t
ORDER BY r.position
