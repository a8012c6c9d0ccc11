-- Export affected_merchants: one row per payee with affected payments, from affected_merchants
-- (merchant_id NULL = payments without a payee, kept as one row).
-- Parameters: $tz (the display zone, incident_summary.display_tz) for the text instants.
-- Placeholders, filled by analyzer/report/exports.py with fixed SQL (never with a value):
--   {{pii:col}}      the column, or its pseudonym(col) when masking, keeping the name
--   {{instant:col}}  ISO 8601 text in $tz with the offset (CSV), or the TIMESTAMPTZ (Parquet)
--   {{list:col}}     the list as ';'-joined text (CSV), or the list itself (Parquet)
-- Money: DECIMAL(18,2), exact. Grain: one row per merchant_id.
-- Order: excess_total DESC, then the (exported) merchant id, NULL last.
SELECT
    {{pii:merchant_id}},
    affected_txns,
    affected_users,
    CAST(amount_total AS DECIMAL(18,2)) AS amount_total,
    CAST(discount_total AS DECIMAL(18,2)) AS discount_total,
    CAST(expected_total AS DECIMAL(18,2)) AS expected_total,
    CAST(excess_total AS DECIMAL(18,2)) AS excess_total,
    CAST(net_excess_total AS DECIMAL(18,2)) AS net_excess_total,
    {{list:scenes}},
    {{instant:first_affected_at}},
    {{instant:last_affected_at}}
FROM affected_merchants
ORDER BY excess_total DESC, merchant_id NULLS LAST
