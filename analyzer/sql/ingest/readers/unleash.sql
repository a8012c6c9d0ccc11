-- Unleash events (GET /api/admin/events, its JSON export, JSON lines) as config changes, into
-- the temp table _reader_records (analyzer/ingest/readers/unleash.py, flag_log.py).
--   change_id = version = seq = id (events carry no version; ids increase), ts = createdAt,
--   actor = createdBy, object = project/featureName/environment (empty parts left out).
--   action: feature-strategy-add -> create, feature-strategy-update,
--   feature-environment-variants-updated, feature-updated -> update, feature-strategy-remove,
--   feature-environment-disabled, feature-archived -> disable, feature-deleted -> delete,
--   feature-environment-enabled -> enable. Every other type (feature-created, feature-tagged,
--   ...) is skipped.
--   config_raw / previous_raw: the configuration in data / preData: the payload of the
--   strategy's (or the flag's) variant named `config`, else of its first JSON variant (a JSON
--   string holding a document is that document), else the strategy's parameters; 'null'
--   after a removal, an archive or a deletion (nothing is served any more). An
--   environment toggle carries no data: its configuration is the one the object's last
--   strategy event in this file left (unchanged, before and after).
--   _flag_on: the environment's state from its last enabled/disabled event in this file (NULL
--   when the file has none); false after a strategy removal, an archive or a deletion.
-- Placeholders: {{records}} the file's records (json_records.sql).
-- Grain: one row per change, per skipped record or blank line, per malformed line.
CREATE OR REPLACE TEMP MACRO unleash_variant(vs) AS coalesce(
    list_filter(vs, lambda v: json_extract_string(v, '$.name') = 'config')[1],
    list_filter(vs, lambda v: json_extract_string(v, '$.payload.type') = 'json')[1]);

CREATE OR REPLACE TEMP MACRO unleash_config(d) AS
    CASE WHEN json_type(d) = 'OBJECT' THEN coalesce(
        flag_value_text(json_extract(unleash_variant(coalesce(CAST(json_extract(d, '$.variants[*]') AS VARCHAR[]), [])),
                                     '$.payload.value')),
        CASE WHEN json_type(d, '$.parameters') = 'OBJECT' THEN CAST(json_extract(d, '$.parameters') AS VARCHAR) END)
    END;

CREATE OR REPLACE TEMP TABLE _reader_records AS
WITH records AS (
    {{records}}
), fields AS (
    SELECT *,
        json_extract_string(_j, '$.type') AS _type,
        json_extract_string(_j, '$.id') AS _id,
        json_extract_string(_j, '$.createdAt') AS _created,
        NULLIF(concat_ws('/', NULLIF(trim(json_extract_string(_j, '$.project')), ''),
                              NULLIF(trim(json_extract_string(_j, '$.featureName')), ''),
                              NULLIF(trim(json_extract_string(_j, '$.environment')), '')), '') AS _object
    FROM records
), typed AS (
    SELECT *,
        CASE _type
            WHEN 'feature-strategy-add' THEN 'create'
            WHEN 'feature-strategy-update' THEN 'update'
            WHEN 'feature-environment-variants-updated' THEN 'update'
            WHEN 'feature-updated' THEN 'update'
            WHEN 'feature-strategy-remove' THEN 'disable'
            WHEN 'feature-environment-enabled' THEN 'enable'
            WHEN 'feature-environment-disabled' THEN 'disable'
            WHEN 'feature-archived' THEN 'disable'
            WHEN 'feature-deleted' THEN 'delete'
        END AS _action,
        _type IN ('feature-strategy-add', 'feature-strategy-update', 'feature-strategy-remove',
                  'feature-environment-variants-updated', 'feature-updated') AS _sets_config,
        _type IN ('feature-environment-enabled', 'feature-environment-disabled') AS _toggle,
        unleash_config(json_extract(_j, '$.data')) AS _after,
        unleash_config(json_extract(_j, '$.preData')) AS _before
    FROM fields
), changes AS (
    SELECT *,
        -- a struct, so that a removal (no configuration after it) is carried as such
        last_value(CASE WHEN _sets_config THEN {'c': _after} END IGNORE NULLS) OVER earlier AS _left,
        last_value(CASE _type WHEN 'feature-environment-enabled' THEN true
                              WHEN 'feature-environment-disabled' THEN false END IGNORE NULLS) OVER so_far AS _env_on
    FROM typed
    WHERE _action IS NOT NULL
    WINDOW earlier AS (PARTITION BY _object ORDER BY TRY_CAST(_created AS TIMESTAMPTZ), TRY_CAST(_id AS BIGINT)
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
           so_far AS (PARTITION BY _object ORDER BY TRY_CAST(_created AS TIMESTAMPTZ), TRY_CAST(_id AS BIGINT)
                      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT _line, _sub, false AS _skip, _malformed, _raw, _j,
       _id AS change_id, _created AS ts,
       json_extract_string(_j, '$.createdBy') AS actor,
       CAST(NULL AS VARCHAR) AS approver, CAST(NULL AS VARCHAR) AS ticket,
       _action AS action, _id AS version, _object AS object,
       CASE WHEN _toggle THEN _left.c
            WHEN _type IN ('feature-strategy-remove', 'feature-archived', 'feature-deleted') THEN coalesce(_after, 'null')
            ELSE _after END AS config_raw,
       CASE WHEN _toggle THEN _left.c ELSE _before END AS previous_raw,
       _id AS seq,
       CASE WHEN _type IN ('feature-strategy-remove', 'feature-archived', 'feature-deleted') THEN false
            ELSE _env_on END AS _flag_on
FROM changes
UNION ALL BY NAME
SELECT _line, _sub, NOT _malformed AS _skip, _malformed, _raw, _j
FROM typed
WHERE _action IS NULL;
