-- A change the analyst named with --bad-change, next to the change the ranking puts first:
-- what each introduced against its previous version, and whether the named one brings back the
-- config of an earlier version of its campaign (a rollback), and which.
-- Parameters: $change_id. Grain: one row.
-- (change_impact ranks the analysed campaigns only: for a change of another campaign the
-- excess columns are NULL and only the rollback test applies.)
WITH named AS (
    SELECT v.change_id, v.campaign_id, v.action, i.excess_introduced, i.payments_over, i.payments_under,
           v.version_seq, v.config_key
    FROM config_versions v LEFT JOIN change_impact i USING (change_id)
    WHERE v.change_id = $change_id
), best AS (
    SELECT change_id, excess_introduced FROM change_impact WHERE score > 0 ORDER BY rank LIMIT 1
), restored AS (
    SELECT max_by(e.version, e.version_seq) AS restored_version
    FROM config_versions e JOIN named n ON e.campaign_id = n.campaign_id
    WHERE e.version_seq < n.version_seq - 1 AND e.config_key = n.config_key
)
SELECT n.*, b.change_id AS best_change_id, b.excess_introduced AS best_excess, r.restored_version
FROM named n
LEFT JOIN best b ON true
LEFT JOIN restored r ON true
