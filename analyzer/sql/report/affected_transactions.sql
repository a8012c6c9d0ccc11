-- Export affected_transactions: one row per affected payment (excess <> 0, either sign),
-- with the versions that explain it and its refunds, from affected_transactions.
-- Parameters: $tz (the display zone, incident_summary.display_tz) for the text instants.
-- Placeholders, filled by analyzer/report/exports.py with fixed SQL (never with a value):
--   {{pii:col}}      the column, or its pseudonym(col) when masking, keeping the name
--   {{instant:col}}  ISO 8601 text in $tz with the offset (CSV), or the TIMESTAMPTZ (Parquet)
-- Money: DECIMAL(18,2), exact. Grain: one row per txn_id.
-- Order: ts, txn_id (txn_id is unique).
SELECT
    txn_id,
    {{instant:ts}},
    {{pii:user_id}},
    {{pii:merchant_id}},
    scene,
    campaign_id,
    CAST(amount AS DECIMAL(18,2)) AS amount,
    CAST(discount AS DECIMAL(18,2)) AS discount,
    CAST(expected AS DECIMAL(18,2)) AS expected,
    CAST(excess AS DECIMAL(18,2)) AS excess,
    CAST(net_excess AS DECIMAL(18,2)) AS net_excess,
    CAST(refunded_amount AS DECIMAL(18,2)) AS refunded_amount,
    refunds,
    fully_refunded,
    partially_refunded,
    {{instant:last_refund_at}},
    in_bad_period,
    lagged,
    priced_by_bad_version,
    logged_version,
    live_version,
    explained_by,
    intended_version
FROM affected_transactions
ORDER BY affected_transactions.ts, txn_id
