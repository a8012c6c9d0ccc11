-- A proposed config change as the change rules see it (their {{changes}}): the columns of
-- config_versions, paired with the version of its campaign live just before it (as of its
-- instant: later changes are not known yet, and the change itself, when it is already loaded, is
-- left out). The risk flags are config_versions.sql's own formulas (tests/test_guardrails.py
-- checks that both agree on every loaded change).
-- Parameters: $proposed_<field> for every field of the change: change_id, campaign_id, ts,
--   version, actor, approver, ticket, action, discount_type, discount_value, max_discount,
--   min_amount, scenes (VARCHAR[]), enabled (prefixed: a rule's own parameters are bound beside them).
-- Grain: one row.
WITH prev AS (
    SELECT * FROM config_versions
    WHERE campaign_id = $proposed_campaign_id AND valid_from < CAST($proposed_ts AS TIMESTAMPTZ) AND change_id <> $proposed_change_id
    ORDER BY valid_from DESC, version_seq DESC
    LIMIT 1
), proposed AS (
    SELECT CAST($proposed_change_id AS VARCHAR) AS change_id, CAST($proposed_campaign_id AS VARCHAR) AS campaign_id,
           CAST($proposed_version AS VARCHAR) AS version, CAST($proposed_ts AS TIMESTAMPTZ) AS valid_from,
           CAST($proposed_actor AS VARCHAR) AS actor, CAST($proposed_approver AS VARCHAR) AS approver,
           CAST($proposed_ticket AS VARCHAR) AS ticket, CAST($proposed_action AS VARCHAR) AS action,
           CAST($proposed_discount_type AS VARCHAR) AS discount_type, CAST($proposed_discount_value AS DECIMAL(18,4)) AS discount_value,
           CAST($proposed_max_discount AS DECIMAL(18,2)) AS max_discount, CAST($proposed_min_amount AS DECIMAL(18,2)) AS min_amount,
           CAST($proposed_scenes AS VARCHAR[]) AS scenes, CAST($proposed_enabled AS BOOLEAN) AS enabled
)
SELECT n.*,
       p.change_id AS prev_change_id, p.version AS prev_version,
       p.discount_type AS prev_discount_type, p.discount_value AS prev_discount_value,
       p.max_discount AS prev_max_discount, p.min_amount AS prev_min_amount,
       p.scenes AS prev_scenes, p.enabled AS prev_enabled,
       p.change_id IS NOT NULL AND p.discount_type IS DISTINCT FROM n.discount_type AS type_changed,
       p.change_id IS NOT NULL AND p.discount_value IS DISTINCT FROM n.discount_value AS value_changed,
       p.change_id IS NOT NULL AND p.max_discount IS NOT NULL AND n.max_discount IS NULL AS cap_removed,
       p.change_id IS NOT NULL AND NOT list_contains(p.scenes, '*') AND list_contains(n.scenes, '*') AS scenes_widened_to_all,
       p.change_id IS NOT NULL AND p.min_amount IS NOT NULL AND n.min_amount IS NULL AS min_removed
FROM proposed n LEFT JOIN prev p ON true
