-- The bad change in one line for the Overview: who, when, which campaign, version before and
-- after, approver, ticket, and the changed fields (field, before, after) from config_versions.diff.
-- Parameters: $change_id (incident_summary.bad_change_id). Grain: one row (or none).
SELECT c.change_id, c.campaign_id, c.valid_from AS ts, c.actor, c.approver, c.ticket, c.action,
       c.prev_version, c.version,
       list_transform(c.diff, lambda d: d.field) AS fields,
       list_transform(c.diff, lambda d: coalesce(d.before, 'null')) AS befores,
       list_transform(c.diff, lambda d: coalesce(d.after, 'null')) AS afters
FROM config_versions c
WHERE c.change_id = $change_id
