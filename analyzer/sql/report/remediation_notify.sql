-- Export notify: every affected user who is not flagged as an exploiter (exploiters.csv has
-- those: the two lists together are the affected users, no user in both), with what an SMS or
-- in-app notification tool imports: a reference number, the case, the excess the user keeps
-- (net of fully refunded payments: the platform does not claw it back), and the official
-- message in Chinese and English rendered for the user with exact money.
--   case   over_discounted  (net excess > 0: the template notify)
--          refunded         (the excess came back with full refunds: notify_refunded)
--          under_discounted (less discount than intended: notify_under)
-- Reference: REF- and 16 hex digits of the user id keyed with the database's privacy key:
-- stable across re-analysis, not the id, not guessable from it.
-- Parameters: $tz, $msg_notify_zh, $msg_notify_en, $msg_notify_refunded_zh,
--   $msg_notify_refunded_en, $msg_notify_under_zh, $msg_notify_under_en (analyzer/report/messages.py).
-- Placeholders: {{pii:col}}, {{instant:col}}, {{money_text:col}}, {{local_minute:col}}, {{message_texts:col}},
--   {{message:col}} (analyzer/report/exports.py).
-- Grain: one row per affected user_id without exploit_flag. Order: excess_total DESC, user id.
WITH s AS (
    SELECT config_window_start AS window_start, last_affected_at AS window_end FROM incident_summary
), users AS (
    SELECT u.*,
           CASE WHEN u.excess_total < 0 THEN 'under_discounted'
                WHEN u.net_excess_total > 0 THEN 'over_discounted'
                ELSE 'refunded' END AS "case",
           upper(sha256((SELECT key FROM privacy_key) || chr(31) || 'notify' || chr(31) || u.user_id)) AS h,
           u.user_id IN (SELECT linked_user_id FROM scam_reports WHERE linked_user_id IS NOT NULL) AS reported_scam,
           CAST(-u.excess_total AS DECIMAL(18,2)) AS shortfall
    FROM affected_users u
    WHERE NOT u.exploit_flag
), filled AS (
    SELECT users.*,
           {{message_texts:h}},
           {{money_text:shortfall}} AS shortfall_text,
           '' AS users_text,
           CASE "case" WHEN 'over_discounted' THEN $msg_notify_zh WHEN 'refunded' THEN $msg_notify_refunded_zh
                       ELSE $msg_notify_under_zh END AS t_zh,
           CASE "case" WHEN 'over_discounted' THEN $msg_notify_en WHEN 'refunded' THEN $msg_notify_refunded_en
                       ELSE $msg_notify_under_en END AS t_en
    FROM users, s
)
SELECT
    {{pii:user_id}},
    reference,
    "case",
    affected_txns,
    CAST(excess_total AS DECIMAL(18,2)) AS excess_total,
    CAST(net_excess_total AS DECIMAL(18,2)) AS excess_kept,
    fully_refunded_txns,
    {{instant:first_affected_at}},
    {{instant:last_affected_at}},
    reported_scam,
    {{message:t_zh}} AS message_zh,
    {{message:t_en}} AS message_en
FROM filled
ORDER BY excess_total DESC, user_id
