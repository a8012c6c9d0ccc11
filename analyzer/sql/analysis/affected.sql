-- The affected sets, from priced_transactions (excess <> 0, in either direction): read from its
-- stored part priced_exceptions, which holds every payment with an excess (priced_transactions.sql).
-- Refunds (only those not disputed, ingest/refund_disputes.sql): a payment whose refunds add
-- up to what was paid (amount - discount) is fully
-- refunded and its discount came back, so it leaves the net excess; a partial refund leaves
-- the excess in and is listed (refunded_amount, partially_refunded).
-- Exploit flag: a user with at least $exploit_min_txns affected payments in the exploit scenes
-- ($exploit_scenes: transfers, card repayments...) is flagged, with the reason spelled out.
-- One script for both engines (analyze --engine duckdb | spark): the forms DuckDB and Spark SQL
-- both accept (array_* functions, FILTER (WHERE ...), CAST AS STRING), with the dialect
-- templates of analyzer/sql.py for what they spell differently: {{array_join}} (an array's
-- elements joined by a separator) and {{span_text:col}} (max(col) - min(col) of the group, to
-- the second, as DuckDB prints an interval). user_pseudonyms is DuckDB's (user_pseudonyms.sql).
-- Parameters: $exploit_min_txns, $exploit_scenes VARCHAR[].
-- Grain: payment_refunds one row per refunded payment; affected_transactions one row per affected
-- payment; affected_users per user_id; affected_merchants per merchant_id; affected_scenes per
-- scene; unexplained_payments per payment no version explains.

-- payment_refunds: the refunds of every refunded payment, all of them (refunds, refunded_amount,
-- last_refund_at: what the user drill-down shows) and those applied (applied_*: not disputed, as
-- an unknown payment's or one beyond what was paid, which are never applied). One scan of the
-- refunds, here, so that a page never scans every transaction for one user's refunds.
CREATE OR REPLACE TABLE payment_refunds AS
WITH d AS (
    -- a join, not `IN (subquery)` in the select list (which Spark refuses); distinct, so that a
    -- refund disputed for two reasons is still one refund
    SELECT DISTINCT record_key FROM disputed
    WHERE kind = 'transactions' AND reason IN ('refund_unknown_payment', 'refund_exceeds_paid')
), r AS (
    SELECT r.original_txn_id AS txn_id, r.amount, r.ts, d.record_key IS NOT NULL AS disputed
    FROM transactions r
    LEFT JOIN d ON d.record_key = r.txn_id
    WHERE r.type = 'refund' AND r.original_txn_id IS NOT NULL
)
SELECT txn_id, count(*) AS refunds, CAST(sum(amount) AS DECIMAL(18,2)) AS refunded_amount, max(ts) AS last_refund_at,
       count(*) FILTER (WHERE NOT disputed) AS applied_refunds,
       CAST(sum(amount) FILTER (WHERE NOT disputed) AS DECIMAL(18,2)) AS applied_amount,
       max(ts) FILTER (WHERE NOT disputed) AS applied_last_at
FROM r
GROUP BY txn_id
ORDER BY txn_id;

CREATE OR REPLACE TABLE affected_transactions AS
WITH refunds AS (
    SELECT txn_id, applied_amount AS refunded_amount, applied_refunds AS refunds, applied_last_at AS last_refund_at
    FROM payment_refunds
    WHERE applied_refunds > 0
)
SELECT p.*,
       coalesce(r.refunded_amount, 0.00) AS refunded_amount,
       coalesce(r.refunds, 0) AS refunds,
       r.last_refund_at,
       coalesce(r.refunded_amount >= p.amount - p.discount, false) AS fully_refunded,
       coalesce(r.refunded_amount > 0 AND r.refunded_amount < p.amount - p.discount, false) AS partially_refunded,
       CASE WHEN coalesce(r.refunded_amount >= p.amount - p.discount, false) THEN 0.00 ELSE p.excess END AS net_excess
FROM priced_exceptions p
LEFT JOIN refunds r USING (txn_id)
WHERE p.excess <> 0
ORDER BY p.ts, p.txn_id;

CREATE OR REPLACE TABLE affected_users AS
SELECT
    user_id,
    count(*) AS affected_txns,
    CAST(sum(amount) AS DECIMAL(18,2)) AS amount_total,
    CAST(sum(discount) AS DECIMAL(18,2)) AS discount_total,
    CAST(sum(expected) AS DECIMAL(18,2)) AS expected_total,
    CAST(sum(excess) AS DECIMAL(18,2)) AS excess_total,
    CAST(sum(net_excess) AS DECIMAL(18,2)) AS net_excess_total,
    count(*) FILTER (WHERE fully_refunded) AS fully_refunded_txns,
    count(*) FILTER (WHERE partially_refunded) AS partially_refunded_txns,
    min(ts) AS first_affected_at,
    max(ts) AS last_affected_at,
    array_sort(array_distinct(array_agg(scene))) AS scenes,
    count(DISTINCT merchant_id) AS merchants,
    count(*) FILTER (WHERE array_contains($exploit_scenes, scene)) AS exploit_scene_txns,
    count(*) FILTER (WHERE array_contains($exploit_scenes, scene)) >= $exploit_min_txns AS exploit_flag,
    CASE WHEN count(*) FILTER (WHERE array_contains($exploit_scenes, scene)) >= $exploit_min_txns THEN
        CAST(count(*) FILTER (WHERE array_contains($exploit_scenes, scene)) AS STRING) || ' affected '
        || {{array_join}}(array_sort(array_distinct(array_agg(scene) FILTER (WHERE array_contains($exploit_scenes, scene)))), '/')
        || ' payments in ' || {{span_text:ts}}
        || ', excess ' || CAST(CAST(sum(excess) AS DECIMAL(18,2)) AS STRING)
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
    array_sort(array_distinct(array_agg(scene))) AS scenes,
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
FROM priced_exceptions
WHERE explained_by IS NULL
ORDER BY ts, txn_id;
