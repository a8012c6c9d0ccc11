-- incident_summary: the one row behind `analyzer summary` (its JSON keys are a contract).
-- Durations in seconds (DOUBLE, millisecond precision; they are not money):
--   time_to_detect     first affected payment -> first alert at or after the bad change
--   time_to_mitigate   first affected payment -> the fix change
--   exposure           first -> last affected payment
--   propagation lag    bad change -> first affected payment; fix change -> last affected payment
--   time_to_declare / _resolve / _communicate, and the order checks: from the milestones table
--   scam_reports       scam-report events at or after the bad change; scam_reporters_affected
--                      the affected users they are linked to (scam_reports.sql)
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
           count(*) FILTER (excess > 0) AS over_discounted_txns,
           count(*) FILTER (excess < 0) AS under_discounted_txns,
           count(*) FILTER (fully_refunded) AS fully_refunded_txns,
           count(*) FILTER (partially_refunded) AS partially_refunded_txns,
           CAST(coalesce(sum(excess) FILTER (NOT in_bad_period), 0) AS DECIMAL(18,2)) AS excess_after_fix
    FROM affected_transactions
),
expl AS (
    -- lagged, unexplained and disagreeing payments are all stored (priced_exceptions); the
    -- count of every priced payment comes from the one pass (payment_groups.sql), not the view
    SELECT (SELECT CAST(coalesce(sum(payments), 0) AS BIGINT) FROM payment_groups WHERE list_contains($campaigns, campaign_id))
               AS payments_analyzed,
           count(*) FILTER (lagged) AS lagged_payments,
           count(*) FILTER (explained_by IS NULL) AS unexplained_payments,
           count(*) FILTER (version_disagrees) AS version_disagreements
    FROM priced_exceptions
),
users AS (
    SELECT count(*) FILTER (exploit_flag) AS exploiters,
           CAST(coalesce(sum(excess_total) FILTER (exploit_flag), 0) AS DECIMAL(18,2)) AS exploiters_excess_total
    FROM affected_users
),
peak AS (SELECT minute AS peak_minute, excess AS peak_minute_excess FROM peak_minute),
alert AS (
    SELECT min(e.ts) AS first_alert_at, arg_min(e.title, e.ts) AS first_alert_title
    FROM events e, bad WHERE e.kind = 'alert' AND e.ts >= bad.valid_from
),
ack AS (
    SELECT min(e.ts) AS first_ack_at FROM events e, bad WHERE e.kind IN ('ack', 'acknowledgement', 'acknowledged') AND e.ts >= bad.valid_from
),
ms AS (
    SELECT max(ts) FILTER (milestone = 'declared') AS declared_at,
           max(event_title) FILTER (milestone = 'declared') AS declared_title,
           max(ts) FILTER (milestone = 'resolved') AS resolved_at,
           max(ts) FILTER (milestone = 'communicated') AS communicated_at,
           max(since_impact_start_s) FILTER (milestone = 'declared') AS time_to_declare_s,
           max(since_impact_start_s) FILTER (milestone = 'resolved') AS time_to_resolve_s,
           max(since_impact_start_s) FILTER (milestone = 'communicated') AS time_to_communicate_s,
           count(*) FILTER (NOT order_ok) AS milestone_order_issues
    FROM milestones
),
scam AS (
    SELECT count(*) FILTER (after_bad_change) AS scam_reports,
           count(*) FILTER (after_bad_change AND linked_user_id IS NOT NULL) AS scam_reports_linked,
           count(DISTINCT coalesce(reporter_id, linked_user_id)) FILTER (after_bad_change) AS scam_reporters,
           count(DISTINCT linked_user_id) FILTER (after_bad_change) AS scam_reporters_affected,
           min(ts) FILTER (after_bad_change) AS first_scam_report_at
    FROM scam_reports
)
SELECT
    $campaign_id AS campaign_id,
    $campaigns AS campaigns,
    $bad_change_id AS bad_change_id,
    $bad_inferred AS bad_change_inferred,
    $bad_reason AS bad_change_reason,
    (SELECT actor FROM bad) AS bad_change_actor,
    (SELECT approver FROM bad) AS bad_change_approver,
    (SELECT ticket FROM bad) AS bad_change_ticket,
    $fix_change_id AS fix_change_id,
    $fix_inferred AS fix_change_inferred,
    $fix_note AS fix_change_note,
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
    round((epoch_ms(alert.first_alert_at) - epoch_ms(aff.first_affected_at)) / 1000.0, 3) AS time_to_detect_s,
    round((epoch_ms(ack.first_ack_at) - epoch_ms(aff.first_affected_at)) / 1000.0, 3) AS time_to_acknowledge_s,
    round((epoch_ms((SELECT valid_from FROM fix)) - epoch_ms(aff.first_affected_at)) / 1000.0, 3) AS time_to_mitigate_s,
    round((epoch_ms(aff.last_affected_at) - epoch_ms(aff.first_affected_at)) / 1000.0, 3) AS exposure_s,
    round((epoch_ms(aff.first_affected_at) - epoch_ms((SELECT valid_from FROM bad))) / 1000.0, 3) AS propagation_lag_start_s,
    round((epoch_ms(aff.last_affected_at) - epoch_ms((SELECT valid_from FROM fix))) / 1000.0, 3) AS propagation_lag_end_s,
    round((epoch_ms((SELECT valid_from FROM fix)) - epoch_ms((SELECT valid_from FROM bad))) / 1000.0, 3) AS config_window_s,
    ms.time_to_declare_s, ms.time_to_resolve_s, ms.time_to_communicate_s, ms.milestone_order_issues,
    scam.scam_reports, scam.scam_reports_linked, scam.scam_reporters, scam.scam_reporters_affected,
    scam.first_scam_report_at,
    round((epoch_ms(scam.first_scam_report_at) - epoch_ms(aff.first_affected_at)) / 1000.0, 3) AS time_to_first_scam_report_s,
    expl.payments_analyzed, expl.lagged_payments, expl.unexplained_payments, expl.version_disagreements,
    $tolerance_ms AS lag_tolerance_ms,
    $exploit_min_txns AS exploit_min_txns,
    $exploit_scenes AS exploit_scenes,
    $context_from AS timeline_context_from,
    $display_tz AS display_tz,
    $analyzer_version AS analyzer_version,
    now() AS analyzed_at,
    $label AS analysis_label,
    $currency AS currency,
    CAST($warnings AS VARCHAR[]) AS warnings,
    $inputs_fingerprint AS inputs_fingerprint,
    $inputs_last_file_id AS inputs_last_file_id
FROM aff, expl, users, ms, scam
LEFT JOIN peak ON true
LEFT JOIN alert ON true
LEFT JOIN ack ON true;
