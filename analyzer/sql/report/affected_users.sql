-- Export affected_users: one row per affected user (the outreach list), from affected_users.
-- Parameters: $tz (the display zone, incident_summary.display_tz) for the text instants.
-- Placeholders, filled by analyzer/report/exports.py with fixed SQL (never with a value):
--   {{pii:col}}      the column, or its pseudonym(col) when masking, keeping the name
--   {{instant:col}}  ISO 8601 text in $tz with the offset (CSV), or the TIMESTAMPTZ (Parquet)
--   {{list:col}}     the list as ';'-joined text (CSV), or the list itself (Parquet)
-- Money: DECIMAL(18,2), exact. Grain: one row per user_id.
-- Order: excess_total DESC, then the (exported) user id: deterministic, ties included.
SELECT
    {{pii:user_id}},
    affected_txns,
    CAST(amount_total AS DECIMAL(18,2)) AS amount_total,
    CAST(discount_total AS DECIMAL(18,2)) AS discount_total,
    CAST(expected_total AS DECIMAL(18,2)) AS expected_total,
    CAST(excess_total AS DECIMAL(18,2)) AS excess_total,
    CAST(net_excess_total AS DECIMAL(18,2)) AS net_excess_total,
    fully_refunded_txns,
    partially_refunded_txns,
    {{instant:first_affected_at}},
    {{instant:last_affected_at}},
    {{list:scenes}},
    merchants,
    exploit_scene_txns,
    exploit_flag,
    exploit_reason
FROM affected_users
ORDER BY excess_total DESC, user_id
