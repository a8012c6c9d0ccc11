-- The affected sets, from affected_transactions (affected_transactions.sql: the affected
-- payments and their refunds).
-- Exploit flag: a user with at least $exploit_min_txns affected payments in the exploit scenes
-- ($exploit_scenes: transfers, card repayments...) is flagged, with the reason spelled out.
-- Parameters: $exploit_min_txns, $exploit_scenes VARCHAR[].
-- Grain: affected_users per user_id; affected_merchants per merchant_id; affected_scenes per
-- scene; unexplained_payments per payment no version explains.

CREATE OR REPLACE TABLE affected_users AS
SELECT
    user_id,
    count(*) AS affected_txns,
    CAST(sum(amount) AS DECIMAL(18,2)) AS amount_total,
    CAST(sum(discount) AS DECIMAL(18,2)) AS discount_total,
    CAST(sum(expected) AS DECIMAL(18,2)) AS expected_total,
    CAST(sum(excess) AS DECIMAL(18,2)) AS excess_total,
    CAST(sum(net_excess) AS DECIMAL(18,2)) AS net_excess_total,
    count(*) FILTER (fully_refunded) AS fully_refunded_txns,
    count(*) FILTER (partially_refunded) AS partially_refunded_txns,
    min(ts) AS first_affected_at,
    max(ts) AS last_affected_at,
    list_sort(list_distinct(list(scene))) AS scenes,
    count(DISTINCT merchant_id) AS merchants,
    count(*) FILTER (list_contains($exploit_scenes, scene)) AS exploit_scene_txns,
    count(*) FILTER (list_contains($exploit_scenes, scene)) >= $exploit_min_txns AS exploit_flag,
    CASE WHEN count(*) FILTER (list_contains($exploit_scenes, scene)) >= $exploit_min_txns THEN
        count(*) FILTER (list_contains($exploit_scenes, scene)) || ' affected '
        || array_to_string(list_sort(list_distinct(list(scene) FILTER (list_contains($exploit_scenes, scene)))), '/')
        || ' payments in ' || CAST(date_trunc('second', max(ts) - min(ts)) AS VARCHAR)
        || ', excess ' || CAST(CAST(sum(excess) AS DECIMAL(18,2)) AS VARCHAR)
    END AS exploit_reason
FROM affected_transactions
GROUP BY user_id
ORDER BY excess_total DESC, user_id;

CREATE OR REPLACE TABLE affected_merchants AS
SELECT
    merchant_id,
    count(*) AS affected_txns,
    count(DISTINCT user_id) AS affected_users,
    CAST(sum(amount) AS DECIMAL(18,2)) AS amount_total,
    CAST(sum(discount) AS DECIMAL(18,2)) AS discount_total,
    CAST(sum(expected) AS DECIMAL(18,2)) AS expected_total,
    CAST(sum(excess) AS DECIMAL(18,2)) AS excess_total,
    CAST(sum(net_excess) AS DECIMAL(18,2)) AS net_excess_total,
    list_sort(list_distinct(list(scene))) AS scenes,
    min(ts) AS first_affected_at,
    max(ts) AS last_affected_at
FROM affected_transactions
GROUP BY merchant_id
ORDER BY excess_total DESC, merchant_id NULLS LAST;

CREATE OR REPLACE TABLE affected_scenes AS
SELECT
    scene,
    count(*) AS affected_txns,
    count(DISTINCT user_id) AS affected_users,
    count(DISTINCT merchant_id) AS affected_merchants,
    CAST(sum(amount) AS DECIMAL(18,2)) AS amount_total,
    CAST(sum(discount) AS DECIMAL(18,2)) AS discount_total,
    CAST(sum(expected) AS DECIMAL(18,2)) AS expected_total,
    CAST(sum(excess) AS DECIMAL(18,2)) AS excess_total,
    CAST(sum(net_excess) AS DECIMAL(18,2)) AS net_excess_total
FROM affected_transactions
GROUP BY scene
ORDER BY excess_total DESC, scene NULLS LAST;

-- Payments no version explains (no config live within the lag tolerance reproduces the
-- logged discount): listed for the review, whether or not they are affected.
CREATE OR REPLACE TABLE unexplained_payments AS
SELECT txn_id, ts, user_id, campaign_id, scene, amount, discount, logged_version, live_version,
       intended_version, expected, excess
FROM priced_transactions
WHERE explained_by IS NULL
ORDER BY ts, txn_id;
