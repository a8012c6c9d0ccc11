-- Kubernetes audit log: which events are changes of ConfigMaps (readers/k8s_audit.py).
-- Templates: {{lines}} the file being read, one row per non-blank line (_pos: its number among
-- them, 1-based; j: the line); {{others}} the lines of the command's other audit logs that may hold
-- ConfigMap events (j), for the state before a file's first change of a ConfigMap.
-- A change is an event at stage ResponseComplete (RequestReceived repeats the auditID without
-- bodies; ResponseStarted is a watch's; Panic changed nothing), of the core resource
-- `configmaps` (no subresource), verb create / update / patch / delete, that succeeded
-- (responseStatus.code 2xx) and was not a dry run (dryRun= in the request URI). Every other
-- event is skipped, not a row. A line that is not a JSON object is malformed (quarantined); an
-- object that is not an audit event, and a deletecollection of ConfigMaps (which ConfigMaps went
-- is not in the event), cannot be read as changes: quarantined with the reason (_why).
-- The state after a change is responseObject.data (the whole ConfigMap: a patch's requestObject
-- holds only the keys it changed; a delete's response is a Status, its after is none).
-- Kept: the lines of the file that are not skipped, and the changes of the other files.
-- Grain: one row per kept line.
CREATE OR REPLACE TEMP TABLE _k8s_events AS
WITH lines AS (
    SELECT true AS _mine, _pos, j FROM ({{lines}})
    UNION ALL
    SELECT false AS _mine, CAST(NULL AS BIGINT) AS _pos, j FROM ({{others}})
), parsed AS (
    SELECT _mine, _pos, j, CASE WHEN json_valid(j) THEN json_type(j) = 'OBJECT' ELSE false END AS _ok
    FROM lines
), fields AS (
    -- one parse of the line for every field
    SELECT _mine, _pos, j, _ok,
        CASE WHEN _ok THEN json_extract_string(j, ['$.auditID', '$.stage', '$.verb', '$.requestURI',
            '$.objectRef.resource', '$.objectRef.apiGroup', '$.objectRef.subresource', '$.objectRef.namespace',
            '$.objectRef.name', '$.responseStatus.code', '$.stageTimestamp', '$.user.username',
            '$.impersonatedUser.username', '$.responseObject.kind', '$.responseObject.metadata.resourceVersion']) END AS f
    FROM parsed
), classified AS (
    SELECT _mine, _pos, j, f[1] AS auditID, f[3] AS verb, f[11] AS stage_timestamp, f[14] AS response_kind,
           f[15] AS resource_version,
        CASE
            WHEN NOT _ok THEN 'malformed'
            WHEN f[1] IS NULL OR f[2] IS NULL OR f[3] IS NULL THEN 'reject'
            WHEN f[2] <> 'ResponseComplete' THEN 'skip'
            WHEN f[5] IS DISTINCT FROM 'configmaps' OR coalesce(f[6], '') <> '' OR f[7] IS NOT NULL THEN 'skip'
            WHEN f[3] = 'deletecollection' THEN 'reject'
            WHEN f[3] NOT IN ('create', 'update', 'patch', 'delete') THEN 'skip'
            WHEN coalesce(TRY_CAST(f[10] AS INTEGER), 0) NOT BETWEEN 200 AND 299 THEN 'skip'
            WHEN regexp_matches(coalesce(f[4], ''), '[?&]dryRun=') THEN 'skip'
            ELSE 'change'
        END AS _kind,
        CASE
            WHEN NOT _ok THEN NULL
            WHEN f[1] IS NULL OR f[2] IS NULL OR f[3] IS NULL THEN 'not a Kubernetes audit event (no auditID, stage or verb)'
            WHEN f[3] = 'deletecollection' THEN 'a deletecollection of configmaps: the ConfigMaps it deleted are not in the event'
        END AS _why,
        concat_ws('/', f[8], f[9]) AS object,
        coalesce(f[13], f[12]) AS actor
    FROM fields
)
SELECT _mine, _pos, j, j AS _raw, _kind, _why,
    auditID AS change_id,
    stage_timestamp AS ts,
    actor,
    CASE verb WHEN 'create' THEN 'create' WHEN 'delete' THEN 'delete' ELSE 'update' END AS action,
    coalesce(resource_version, auditID) AS version,
    CAST(NULL AS VARCHAR) AS ticket,
    object,
    CASE WHEN _kind = 'change' AND verb <> 'delete' AND response_kind = 'ConfigMap' THEN
        CASE WHEN json_type(j, '$.responseObject.data') = 'OBJECT'
             THEN CAST(json_extract(j, '$.responseObject.data') AS VARCHAR) ELSE '{}' END
    END AS config_raw,
    'k8s-audit' AS source_format,
    CAST(NULL AS BIGINT) AS seq,
    verb, resource_version
FROM classified
WHERE _kind <> 'skip' AND (_mine OR _kind = 'change');
