-- Export notify_merchants: the affected merchants, for merchant communication, with a
-- reference number and the official message in Chinese and English (the template merchant).
-- Left out: payments without a payee, and payees whose affected payments are all person-to-person
-- transfers (scene 'transfer': the payee is a person, not a merchant).
-- Parameters: $tz, $msg_merchant_zh, $msg_merchant_en (analyzer/report/messages.py).
-- Placeholders: {{pii:col}}, {{instant:col}}, {{list:col}}, {{money_text:col}}, {{local_minute:col}},
--   {{message_texts:col}}, {{message:col}} (analyzer/report/exports.py).
-- Grain: one row per merchant_id. Order: excess_total DESC, merchant id.
WITH s AS (
    SELECT config_window_start AS window_start, last_affected_at AS window_end FROM incident_summary
), merchants AS (
    SELECT m.*,
           upper(sha256((SELECT key FROM privacy_key) || chr(31) || 'merchant' || chr(31) || m.merchant_id)) AS h
    FROM affected_merchants m
    WHERE m.merchant_id IS NOT NULL AND NOT list_has_all(['transfer'], m.scenes)
), filled AS (
    SELECT merchants.*,
           {{message_texts:h}},
           CAST(affected_users AS VARCHAR) AS users_text,
           '' AS shortfall_text,
           $msg_merchant_zh AS t_zh,
           $msg_merchant_en AS t_en
    FROM merchants, s
)
SELECT
    {{pii:merchant_id}},
    reference,
    affected_txns,
    affected_users,
    CAST(excess_total AS DECIMAL(18,2)) AS excess_total,
    CAST(net_excess_total AS DECIMAL(18,2)) AS net_excess_total,
    {{list:scenes}},
    {{instant:first_affected_at}},
    {{instant:last_affected_at}},
    {{message:t_zh}} AS message_zh,
    {{message:t_en}} AS message_en
FROM filled
ORDER BY excess_total DESC, merchant_id
