-- LaunchDarkly audit-log entries (the /api/v2/auditlog list, webhook payloads, arrays, JSON
-- lines) as config changes, into the temp table _reader_records
-- (analyzer/ingest/readers/launchdarkly.py, flag_log.py).
--   One change per entry and flag environment: the accesses whose resource is
--   proj/P:env/E:flag/F (tags after `;` left out) and whose action changes what the flag
--   serves. change_id = _id || '/' || E, object = P/E/F, ts = date (epoch milliseconds, UTC,
--   exact to the ms), actor = member.email, else token.name, app.name, subject.name.
--   action: createFlag, cloneFlag -> create; deleteFlag -> delete; updateGlobalArchived ->
--   disable (enable when unarchived); updateOn -> enable / disable (from currentVersion, else
--   the entry's description "Turned the flag on/off"); any other change action -> update.
--   version: the environment's flag version in currentVersion, else the flag's _version, else
--   the entry's _id (list entries carry no versions).
--   config_raw / previous_raw: the value of the variation the environment's fallthrough serves
--   in currentVersion / previousVersion (a JSON string holding a document is that document);
--   NULL when the entry has no such version, or the fallthrough is a percentage rollout;
--   'null' after a deletion.
--   _flag_on: the environment's `on` in currentVersion (false once deleted or archived).
--   ticket: the author's comment and the entry's title (a Markdown link reduced to its text),
--   and, for an entry without currentVersion (the list API's), its description: LaunchDarkly's
--   own account of what changed, the only one such an entry has.
-- Entries without a flag-environment access of a change action (other resource kinds,
-- updateName, updateTags, ...) are skipped.
-- Placeholders: {{records}} the file's records (json_records.sql).
-- Grain: one row per change, per skipped record or blank line, per malformed line.
CREATE OR REPLACE TEMP MACRO ld_environment(version, env) AS
    TRY_CAST(json_extract(version, '$.environments') AS MAP(VARCHAR, JSON))[env];

CREATE OR REPLACE TEMP MACRO ld_served(version, env) AS
    flag_value_text(json_extract(
        TRY_CAST(json_extract(version, '$.variations') AS JSON[])[
            TRY_CAST(json_extract_string(ld_environment(version, env), '$.fallthrough.variation') AS BIGINT) + 1],
        '$.value'));

CREATE OR REPLACE TEMP TABLE _reader_records AS
WITH records AS (
    {{records}}
), entries AS (
    SELECT _line, _idx, _malformed, _raw, _j,
           CASE WHEN NOT _malformed AND j IS NOT NULL
                THEN coalesce(json_type(j, '$._id') = 'VARCHAR' AND json_type(j, '$.accesses') = 'ARRAY', false)
                ELSE false END AS _entry
    FROM records
), accesses AS (
    SELECT _line, _idx, json_extract_string(a, '$.action') AS access_action,
           regexp_extract(coalesce(json_extract_string(a, '$.resource'), ''),
                          '^proj/([^:;]+)(?:;[^:]*)?:env/([^:;]+)(?:;[^:]*)?:flag/([^:;]+)',
                          ['project', 'environment', 'flag']) AS r
    FROM (SELECT _line, _idx, unnest(CAST(json_extract(_j, '$.accesses[*]') AS VARCHAR[])) AS a
          FROM entries WHERE _entry)
), environments AS (
    SELECT _line, _idx, r.project, r.environment, r.flag, list(DISTINCT access_action) AS actions
    FROM accesses
    WHERE r.flag <> ''
      AND access_action IN ('createFlag', 'cloneFlag', 'deleteFlag', 'updateGlobalArchived', 'updateOn',
                            'updateFlagVariations', 'updateFallthrough', 'updateFallthroughWithMeasuredRollout',
                            'updateOffVariation', 'updateRules', 'updateRulesWithMeasuredRollout', 'updateTargets',
                            'updatePrerequisites', 'copyFlagConfigTo')
    GROUP BY ALL
), changes AS (
    SELECT e.*, v.project, v.environment, v.flag, v.actions,
           row_number() OVER (PARTITION BY e._line, e._idx ORDER BY v.environment) AS _env_n,
           json_extract_string(e._j, '$._id') AS _id,
           json_extract_string(e._j, '$.date') AS _date,
           CASE WHEN json_type(e._j, '$.currentVersion') = 'OBJECT' THEN json_extract(e._j, '$.currentVersion') END AS _cur,
           CASE WHEN json_type(e._j, '$.previousVersion') = 'OBJECT' THEN json_extract(e._j, '$.previousVersion') END AS _prev
    FROM entries e JOIN environments v USING (_line, _idx)
), fields AS (
    SELECT *,
        ld_environment(_cur, environment) AS _cur_env,
        TRY_CAST(json_extract_string(ld_environment(_cur, environment), '$.on') AS BOOLEAN) AS _on,
        json_extract_string(_cur, '$.archived') = 'true' AS _archived,
        CASE WHEN list_contains(actions, 'createFlag') OR list_contains(actions, 'cloneFlag') THEN 'create'
             WHEN list_contains(actions, 'deleteFlag') THEN 'delete'
             WHEN list_contains(actions, 'updateGlobalArchived') THEN
                 CASE WHEN json_extract_string(_cur, '$.archived') = 'false' THEN 'enable' ELSE 'disable' END
             WHEN list_contains(actions, 'updateOn') THEN
                 CASE TRY_CAST(json_extract_string(ld_environment(_cur, environment), '$.on') AS BOOLEAN)
                     WHEN true THEN 'enable' WHEN false THEN 'disable'
                     ELSE CASE WHEN regexp_matches(coalesce(json_extract_string(_j, '$.description'), ''), 'Turned the flag on')
                               THEN 'enable'
                               WHEN regexp_matches(coalesce(json_extract_string(_j, '$.description'), ''), 'Turned the flag off')
                               THEN 'disable'
                               ELSE 'update' END
                 END
             ELSE 'update' END AS _action
    FROM changes
)
SELECT _line, _idx * 1000 + _env_n AS _sub, false AS _skip, _malformed, _raw, _j,
       _id || '/' || environment AS change_id,
       CASE WHEN regexp_full_match(_date, '[0-9]{1,15}')
            THEN strftime(make_timestamp(CAST(_date AS BIGINT) * 1000), '%Y-%m-%dT%H:%M:%S.%fZ')
            ELSE _date END AS ts,
       coalesce(NULLIF(trim(json_extract_string(_j, '$.member.email')), ''),
                NULLIF(trim(json_extract_string(_j, '$.token.name')), ''),
                NULLIF(trim(json_extract_string(_j, '$.app.name')), ''),
                NULLIF(trim(json_extract_string(_j, '$.subject.name')), '')) AS actor,
       CAST(NULL AS VARCHAR) AS approver,
       NULLIF(concat_ws('; ', NULLIF(trim(json_extract_string(_j, '$.comment')), ''),
                              NULLIF(trim(regexp_replace(coalesce(json_extract_string(_j, '$.title'), ''),
                                                         '\[([^\]]*)\]\([^)]*\)', '\1', 'g')), ''),
                              CASE WHEN _cur IS NULL  -- on one line
                                   THEN NULLIF(trim(regexp_replace(json_extract_string(_j, '$.description'), '\s+', ' ', 'g')), '')
                              END),
              '') AS ticket,
       _action AS action,
       coalesce(json_extract_string(_cur_env, '$.version'), json_extract_string(_cur, '$._version'), _id) AS version,
       concat_ws('/', project, environment, flag) AS object,
       CASE WHEN _action = 'delete' THEN 'null' ELSE ld_served(_cur, environment) END AS config_raw,
       ld_served(_prev, environment) AS previous_raw,
       CAST(NULL AS VARCHAR) AS seq,
       CASE WHEN _action = 'delete' OR _archived THEN false ELSE _on END AS _flag_on
FROM fields
UNION ALL BY NAME
SELECT e._line, e._idx * 1000 AS _sub, NOT e._malformed AS _skip, e._malformed, e._raw, e._j
FROM entries e
WHERE NOT EXISTS (SELECT 1 FROM environments v WHERE v._line = e._line AND v._idx = e._idx);
