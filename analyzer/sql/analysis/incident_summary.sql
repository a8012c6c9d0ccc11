-- incident_summary: the one row behind `analyzer summary` (its JSON keys are a contract).
-- Durations in seconds (DOUBLE, millisecond precision; they are not money):
--   time_to_detect     first affected payment -> first alert at or after the bad change
--   time_to_mitigate   first affected payment -> the fix change
--   exposure           first -> last affected payment
--   propagation lag    bad change -> first affected payment; fix change -> last affected payment
--   time_to_declare / _resolve / _communicate, and the order checks: from the milestones table
--   scam_reports       scam-report events at or after the bad change; scam_reporters_affected
--                      the affected users they are linked to (scam_reports.sql)
-- The same statement on DuckDB and on Spark (seconds_between: functions.sql of each dialect);
-- every parameter cast to its type (a NULL one would have none on Spark).
-- Parameters: $campaign_id, $bad_change_id, $fix_change_id, $bad_inferred, $bad_reason,
--   $fix_inferred, $fix_note, $display_tz, $tolerance_ms, $analyzer_version, $campaigns,
--   $exploit_scenes, $exploit_min_txns, $context_from, $label, $currency, $warnings (doubts about
--   named changes), $inputs_fingerprint, $inputs_last_file_id (the state of the raw tables
--   analysed: analyzer/analysis/freshness.py).
CREATE OR REPLACE TABLE incident_summary AS
WITH bad AS (SELECT * FROM config_versions WHERE change_id = $bad_change_id),
fix AS (SELECT * FROM config_versions WHERE change_id = $fix_change_id),
aff AS (
    SELECT min(ts) AS first_affected_at, max(ts) AS last_affected_at, count(*) AS affected_txns,
           count(DISTINCT user_id) AS affected_users, count(DISTINCT merchant_id) AS affected_merchants,
           CAST(coalesce(sum(excess), 0) AS DECIMAL(18,2)) AS excess_total,
           CAST(coalesce(sum(net_excess), 0) AS DECIMAL(18,2)) AS net_excess_total,
           count(*) FILTER (WHERE excess > 0) AS over_discounted_txns,
           count(*) FILTER (WHERE excess < 0) AS under_discounted_txns,
           count(*) FILTER (WHERE fully_refunded) AS fully_refunded_txns,
           count(*) FILTER (WHERE partially_refunded) AS partially_refunded_txns,
           CAST(coalesce(sum(excess) FILTER (WHERE NOT in_bad_period), 0) AS DECIMAL(18,2)) AS excess_after_fix
    FROM affected_transactions
),
expl AS (
    -- lagged, unexplained and disagreeing payments are all stored (priced_exceptions); the
    -- count of every priced payment comes from the one pass (payment_groups.sql), not the view
    SELECT (SELECT CAST(coalesce(sum(payments), 0) AS BIGINT) FROM payment_groups WHERE array_contains($campaigns, campaign_id))
               AS payments_analyzed,
           count(*) FILTER (WHERE lagged) AS lagged_payments,
           count(*) FILTER (WHERE explained_by IS NULL) AS unexplained_payments,
           count(*) FILTER (WHERE version_disagrees) AS version_disagreements
    FROM priced_exceptions
),
users AS (
    SELECT count(*) FILTER (WHERE exploit_flag) AS exploiters,
           CAST(coalesce(sum(excess_total) FILTER (WHERE exploit_flag), 0) AS DECIMAL(18,2)) AS exploiters_excess_total
    FROM affected_users
),
peak AS (SELECT minute AS peak_minute, excess AS peak_minute_excess FROM peak_minute),
alert AS (
    -- the first alert at or after the bad change (the smallest event_id at a tie)
    SELECT ts AS first_alert_at, title AS first_alert_title
    FROM (SELECT e.ts, e.title, row_number() OVER (ORDER BY e.ts, e.event_id) AS nth
          FROM events e, bad WHERE e.kind = 'alert' AND e.ts >= bad.valid_from)
    WHERE nth = 1
),
ack AS (
    SELECT min(e.ts) AS first_ack_at FROM events e, bad WHERE e.kind IN ('ack', 'acknowledgement', 'acknowledged') AND e.ts >= bad.valid_from
),
ms AS (
    SELECT max(ts) FILTER (WHERE milestone = 'declared') AS declared_at,
           max(event_title) FILTER (WHERE milestone = 'declared') AS declared_title,
           max(ts) FILTER (WHERE milestone = 'resolved') AS resolved_at,
           max(ts) FILTER (WHERE milestone = 'communicated') AS communicated_at,
           max(since_impact_start_s) FILTER (WHERE milestone = 'declared') AS time_to_declare_s,
           max(since_impact_start_s) FILTER (WHERE milestone = 'resolved') AS time_to_resolve_s,
           max(since_impact_start_s) FILTER (WHERE milestone = 'communicated') AS time_to_communicate_s,
           count(*) FILTER (WHERE NOT order_ok) AS milestone_order_issues
    FROM milestones
),
scam AS (
    SELECT count(*) FILTER (WHERE after_bad_change) AS scam_reports,
           count(*) FILTER (WHERE after_bad_change AND linked_user_id IS NOT NULL) AS scam_reports_linked,
           count(DISTINCT coalesce(reporter_id, linked_user_id)) FILTER (WHERE after_bad_change) AS scam_reporters,
           count(DISTINCT linked_user_id) FILTER (WHERE after_bad_change) AS scam_reporters_affected,
           min(ts) FILTER (WHERE after_bad_change) AS first_scam_report_at
    FROM scam_reports
)
SELECT
    CAST($campaign_id AS STRING) AS campaign_id,
    CAST($campaigns AS {{text_list}}) AS campaigns,
    CAST($bad_change_id AS STRING) AS bad_change_id,
    CAST($bad_inferred AS BOOLEAN) AS bad_change_inferred,
    CAST($bad_reason AS STRING) AS bad_change_reason,
    (SELECT actor FROM bad) AS bad_change_actor,
    (SELECT approver FROM bad) AS bad_change_approver,
    (SELECT ticket FROM bad) AS bad_change_ticket,
    CAST($fix_change_id AS STRING) AS fix_change_id,
    CAST($fix_inferred AS BOOLEAN) AS fix_change_inferred,
    CAST($fix_note AS STRING) AS fix_change_note,
    (SELECT actor FROM fix) AS fix_change_actor,
    (SELECT valid_from FROM bad) AS config_window_start,
    (SELECT valid_from FROM fix) AS config_window_end,
    aff.first_affected_at, aff.last_affected_at,
    aff.affected_txns, aff.affected_users, aff.affected_merchants,
    aff.excess_total, aff.net_excess_total,
    aff.over_discounted_txns, aff.under_discounted_txns,
    aff.fully_refunded_txns, aff.partially_refunded_txns, aff.excess_after_fix,
    users.exploiters, users.exploiters_excess_total,
    peak.peak_minute, peak.peak_minute_excess,
    alert.first_alert_at, alert.first_alert_title, ack.first_ack_at,
    ms.declared_at, ms.declared_title, ms.resolved_at, ms.communicated_at,
    seconds_between(aff.first_affected_at, alert.first_alert_at) AS time_to_detect_s,
    seconds_between(aff.first_affected_at, ack.first_ack_at) AS time_to_acknowledge_s,
    seconds_between(aff.first_affected_at, (SELECT valid_from FROM fix)) AS time_to_mitigate_s,
    seconds_between(aff.first_affected_at, aff.last_affected_at) AS exposure_s,
    seconds_between((SELECT valid_from FROM bad), aff.first_affected_at) AS propagation_lag_start_s,
    seconds_between((SELECT valid_from FROM fix), aff.last_affected_at) AS propagation_lag_end_s,
    seconds_between((SELECT valid_from FROM bad), (SELECT valid_from FROM fix)) AS config_window_s,
    ms.time_to_declare_s, ms.time_to_resolve_s, ms.time_to_communicate_s, ms.milestone_order_issues,
    scam.scam_reports, scam.scam_reports_linked, scam.scam_reporters, scam.scam_reporters_affected,
    scam.first_scam_report_at,
    seconds_between(aff.first_affected_at, scam.first_scam_report_at) AS time_to_first_scam_report_s,
    expl.payments_analyzed, expl.lagged_payments, expl.unexplained_payments, expl.version_disagreements,
    CAST($tolerance_ms AS BIGINT) AS lag_tolerance_ms,
    CAST($exploit_min_txns AS BIGINT) AS exploit_min_txns,
    CAST($exploit_scenes AS {{text_list}}) AS exploit_scenes,
    $context_from AS timeline_context_from,
    CAST($display_tz AS STRING) AS display_tz,
    CAST($analyzer_version AS STRING) AS analyzer_version,
    now() AS analyzed_at,
    CAST($label AS STRING) AS analysis_label,
    CAST($currency AS STRING) AS currency,
    CAST($warnings AS {{text_list}}) AS warnings,
    CAST($inputs_fingerprint AS STRING) AS inputs_fingerprint,
    CAST($inputs_last_file_id AS BIGINT) AS inputs_last_file_id
FROM aff, expl, users, ms, scam
LEFT JOIN peak ON true
LEFT JOIN alert ON true
LEFT JOIN ack ON true;
