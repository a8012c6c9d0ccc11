-- Kubernetes audit log: each ConfigMap change with the state before it (readers/k8s_audit.py).
-- Reads _k8s_events (k8s_audit_events.sql) and _k8s_line_of (_pos -> _line, the file's own line
-- of each kept line). The log holds no before-state: the state before a change is the state
-- after the previous change of the same ConfigMap (namespace/name) in time, in any audit log of
-- the command (NULL for the first, and after a delete). An event logged twice (the same auditID)
-- is one change. An update or patch that left the resourceVersion as it was changed nothing
-- (kubectl apply without a difference): skipped.
-- Grain: one row per kept line of the file being read.
CREATE OR REPLACE TEMP TABLE _k8s_records AS
WITH one_per_event AS (
    SELECT * FROM _k8s_events WHERE _kind = 'change'
    QUALIFY row_number() OVER (PARTITION BY change_id ORDER BY _mine DESC, _pos) = 1
), paired AS (
    SELECT change_id, lag(config_raw) OVER w AS previous_raw, lag(resource_version) OVER w AS previous_version
    FROM one_per_event
    WINDOW w AS (PARTITION BY object ORDER BY TRY_CAST(ts AS TIMESTAMPTZ), TRY_CAST(resource_version AS HUGEINT) NULLS LAST,
                 change_id)
)
SELECT e.* EXCLUDE (_kind), l._line, p.previous_raw,
    CASE WHEN e._kind = 'change' AND e.verb IN ('update', 'patch') AND e.resource_version = p.previous_version
         THEN 'skip' ELSE e._kind END AS _kind
FROM _k8s_events e
LEFT JOIN paired p ON p.change_id = e.change_id AND e._kind = 'change'
LEFT JOIN _k8s_line_of l ON l._pos = e._pos
WHERE e._mine;
