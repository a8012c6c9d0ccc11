-- Every config change with its people, its config next to the config before it, and its
-- change_impact ranking (excess introduced against the version before, risk signals, evidence).
-- reverted_after (an INTERVAL) is shown as text. Parameters: none.
-- Grain: one row per config change (config version), in time order.
SELECT c.change_id, c.campaign_id, c.valid_from AS ts, c.actor, c.approver, c.ticket, c.action,
       c.prev_version, c.version,
       c.prev_discount_type AS before_discount_type, c.discount_type,
       c.prev_discount_value AS before_discount_value, c.discount_value,
       c.prev_max_discount AS before_max_discount, c.max_discount,
       c.prev_min_amount AS before_min_amount, c.min_amount,
       c.prev_scenes AS before_scenes, c.scenes,
       c.prev_enabled AS before_enabled, c.enabled,
       c.prev_config AS before_config, c.config,
       list_transform(c.diff, lambda d: d.field) AS changed_fields,
       i.rank, i.score, i.excess_introduced, i.payments_live, i.payments_priced, i.payments_over,
       i.payments_under, i.reverted_by_change_id, CAST(i.reverted_after AS VARCHAR) AS reverted_after,
       i.evidence
FROM config_versions c
LEFT JOIN change_impact i ON i.change_id = c.change_id
ORDER BY c.valid_from, c.change_id
