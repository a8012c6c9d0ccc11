-- One config change as the report describes it: its version (with the version before it,
-- config_versions.prev_*) and the evidence of its change_impact ranking.
-- Parameters: $change_id. Grain: one row (or none).
SELECT v.*, i.evidence
FROM config_versions v
LEFT JOIN change_impact i USING (change_id)
WHERE v.change_id = $change_id
