-- Flagsmith environment webhooks (FLAG_UPDATED, FLAG_DELETED; one body, arrays, JSON lines) as
-- config changes, into the temp table _reader_records (analyzer/ingest/readers/flagsmith.py,
-- flag_log.py).
--   One change per body that changes an environment's default state of a feature: identity
--   overrides (identity or identity_identifier set) and segment overrides (feature_segment
--   set) are skipped, as are the other event types (AUDIT_LOG_CREATED, NEW_VERSION_PUBLISHED).
--   The state is new_state (previous_state for FLAG_DELETED).
--   change_id = version = environment.id || '/' || feature.id || '/' || timestamp (Flagsmith
--   sends neither; the history record's timestamp makes it stable across retried deliveries),
--   ts = data.timestamp, actor = data.changed_by (a user's e-mail or an API key's name),
--   object = environment.name/feature.name (empty parts left out).
--   action: FLAG_DELETED -> delete; no previous_state -> create; only `enabled` changed ->
--   enable / disable; else update.
--   config_raw / previous_raw: feature_state_value of new_state / previous_state (a JSON string
--   holding a document is that document; an empty value is 'null'); 'null' after a deletion.
--   _flag_on: new_state.enabled (false once deleted).
-- Placeholders: {{records}} the file's records (json_records.sql).
-- Grain: one row per change, per skipped record or blank line, per malformed line.
CREATE OR REPLACE TEMP TABLE _reader_records AS
WITH records AS (
    {{records}}
), states AS (
    SELECT *,
        json_extract_string(_j, '$.event_type') AS _event,
        CASE WHEN json_type(_j, '$.data.new_state') = 'OBJECT' THEN json_extract(_j, '$.data.new_state') END AS _new,
        CASE WHEN json_type(_j, '$.data.previous_state') = 'OBJECT' THEN json_extract(_j, '$.data.previous_state') END AS _old
    FROM records
), typed AS (
    SELECT *,
        flag_value_text(json_extract(_new, '$.feature_state_value')) AS _value,
        flag_value_text(json_extract(_old, '$.feature_state_value')) AS _old_value,
        CASE WHEN coalesce(_event, '') = 'FLAG_DELETED' THEN coalesce(_old, _new) ELSE _new END AS _state
    FROM states
), changes AS (
    SELECT *,
        CASE WHEN coalesce(_event, '') NOT IN ('FLAG_UPDATED', 'FLAG_DELETED') OR _state IS NULL THEN NULL
             WHEN json_extract_string(_state, '$.identity') IS NOT NULL
                  OR json_extract_string(_state, '$.identity_identifier') IS NOT NULL THEN NULL
             WHEN coalesce(json_type(_state, '$.feature_segment'), 'NULL') <> 'NULL' THEN NULL
             WHEN _event = 'FLAG_DELETED' THEN 'delete'
             WHEN _old IS NULL THEN 'create'
             WHEN _value IS NOT DISTINCT FROM _old_value
                  AND json_extract_string(_new, '$.enabled') IS DISTINCT FROM json_extract_string(_old, '$.enabled')
                 THEN CASE WHEN json_extract_string(_new, '$.enabled') = 'true' THEN 'enable' ELSE 'disable' END
             ELSE 'update' END AS _action,
        json_extract_string(_state, '$.environment.id') || '/' || json_extract_string(_state, '$.feature.id') || '/'
            || json_extract_string(_j, '$.data.timestamp') AS _id
    FROM typed
)
SELECT _line, _sub, false AS _skip, _malformed, _raw, _j,
       _id AS change_id,
       json_extract_string(_j, '$.data.timestamp') AS ts,
       NULLIF(trim(json_extract_string(_j, '$.data.changed_by')), '') AS actor,
       CAST(NULL AS VARCHAR) AS approver, CAST(NULL AS VARCHAR) AS ticket,
       _action AS action, _id AS version,
       NULLIF(concat_ws('/', NULLIF(trim(json_extract_string(_state, '$.environment.name')), ''),
                             NULLIF(trim(json_extract_string(_state, '$.feature.name')), '')), '') AS object,
       CASE WHEN _action = 'delete' THEN 'null' ELSE _value END AS config_raw,
       _old_value AS previous_raw,
       CAST(NULL AS VARCHAR) AS seq,
       CASE WHEN _action = 'delete' THEN false ELSE TRY_CAST(json_extract_string(_new, '$.enabled') AS BOOLEAN) END
           AS _flag_on
FROM changes
WHERE _action IS NOT NULL
UNION ALL BY NAME
SELECT _line, _sub, NOT _malformed AS _skip, _malformed, _raw, _j
FROM changes
WHERE _action IS NULL;
