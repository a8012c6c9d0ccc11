-- Nacos: the changes of a config history (his_config_info), completed by the current configs
-- (config_info), one row per record of the file being read (readers/nacos.py).
-- Templates (relations built by the reader from the command's Nacos files, every column text):
--   {{history}}  every his_config_info record (_mine: of the file being read; _line, _raw; ext_type:
--                the format ext_info declares, recent Nacos versions only)
--   {{current}}  every config_info record
-- A config is (tenant_id, group_id, data_id); its history rows in nid order are its changes.
-- What a row's content is depends on op_type (Nacos's own persistence code): I = the content
-- created (the value after); U = the content BEFORE the update; D = the content deleted. So the
-- value after a U is the content of the config's next history row, or, for its last row, the
-- config_info content, which is that change's result (config_info.gmt_modified is the time
-- written to both). Rows of gray/beta publishes (publish_type other than formal) are skipped.
-- A config_info record gives again the change it is the result of (the loader collapses the two as
-- one, a duplicate); a config without history (purged after Nacos's retention) or changed after
-- the history was exported is a change of its own, `config_info:<id>`, its before unknown; an
-- older config_info record than the history is skipped.
-- Contents stay text here (after_content, before_content, with the format hints _declared and
-- data_id); the reader turns them into JSON (readers/config_text.py).
-- Grain: one row per record of the file being read.
CREATE OR REPLACE TEMP TABLE _nacos_records AS
WITH history AS (
    SELECT *, concat_ws('/', tenant_id, group_id, data_id) AS _object, TRY_CAST(nid AS BIGINT) AS _nid,
           upper(op_type) AS _op
    FROM ({{history}})
), current_configs AS (
    SELECT *, concat_ws('/', tenant_id, group_id, data_id) AS _object FROM ({{current}})
), classified AS (
    SELECT *,
        CASE WHEN _nid IS NULL OR _op IS NULL OR _op NOT IN ('I', 'U', 'D') THEN 'reject'
             WHEN coalesce(lower(publish_type), 'formal') <> 'formal' THEN 'skip'
             ELSE 'change' END AS _kind,
        CASE WHEN _nid IS NULL THEN 'nid ' || coalesce('''' || nid || '''', '(empty)') || ' is not a number'
             WHEN _op IS NULL OR _op NOT IN ('I', 'U', 'D') THEN
                 'op_type ' || coalesce('''' || op_type || '''', '(empty)') || ' is not I, U or D' END AS _why
    FROM history
), main_line AS (
    -- one record per nid (the same row in two exports is one change)
    SELECT * FROM classified WHERE _kind = 'change'
    QUALIFY row_number() OVER (PARTITION BY _nid ORDER BY _mine DESC, _line) = 1
), latest AS (
    SELECT * FROM current_configs
    QUALIFY row_number() OVER (PARTITION BY _object ORDER BY _mine DESC, _line) = 1
), paired AS (
    SELECT m._nid, m._object, m._op, m.gmt_modified,
           lead(m._op) OVER w AS next_op, lead(m.content) OVER w AS next_content, lead(m.md5) OVER w AS next_md5,
           lead(m._nid) OVER w IS NULL AS is_last
    FROM main_line m
    WINDOW w AS (PARTITION BY m._object ORDER BY m._nid)
), after_change AS (
    SELECT p.*,
        p.is_last AND p._op <> 'D' AND l._object IS NOT NULL
            AND TRY_CAST(l.gmt_modified AS TIMESTAMP) = TRY_CAST(p.gmt_modified AS TIMESTAMP) AS current_is_after,
        l.content AS current_content, l.md5 AS current_md5, l.type AS current_type
    FROM paired p LEFT JOIN latest l ON l._object = p._object
), changes AS (
    -- every history record with its change: what it records itself, and what came after it
    SELECT c.* EXCLUDE (_nid, _op, _object),
        c.nid AS change_id,
        c.gmt_modified AS ts,
        coalesce(c.src_user, c.src_ip) AS actor,
        CASE c._op WHEN 'I' THEN 'create' WHEN 'U' THEN 'update' WHEN 'D' THEN 'delete' END AS action,
        CAST(NULL AS VARCHAR) AS ticket,
        c._object AS object,
        CASE c._op WHEN 'I' THEN c.content WHEN 'D' THEN NULL
             ELSE CASE WHEN a.next_op IN ('U', 'D') THEN a.next_content
                       WHEN a.current_is_after THEN a.current_content END END AS after_content,
        CASE WHEN c._op IN ('U', 'D') THEN c.content END AS before_content,
        -- the MD5 Nacos gives the content after the change (what its clients compare), else the nid
        coalesce(CASE c._op WHEN 'I' THEN coalesce(c.md5, md5(c.content)) WHEN 'D' THEN NULL
                      ELSE CASE WHEN a.next_op IN ('U', 'D') THEN coalesce(a.next_md5, md5(a.next_content))
                                WHEN a.current_is_after THEN coalesce(a.current_md5, md5(a.current_content)) END END,
                 c.nid) AS version,
        coalesce(c.ext_type, a.current_type) AS _declared,
        'nacos' AS source_format,
        c._nid AS seq,
        a.is_last AS _is_last, a.current_is_after AS _current_is_after
    FROM classified c
    LEFT JOIN after_change a ON a._nid = c._nid AND c._kind = 'change'
), last_changes AS (
    SELECT * FROM changes WHERE _kind = 'change' AND _is_last
    QUALIFY row_number() OVER (PARTITION BY object ORDER BY _mine DESC, _line) = 1
)
SELECT * EXCLUDE (_is_last, _current_is_after) FROM changes WHERE _mine
UNION ALL BY NAME
-- a config_info record: the result of its config's last change, or a change of its own
SELECT
    true AS _mine, r._line, r._raw,
    CASE WHEN l.change_id IS NOT NULL AND l._current_is_after THEN 'change'
         WHEN l.change_id IS NULL
              OR TRY_CAST(r.gmt_modified AS TIMESTAMP) > TRY_CAST(l.ts AS TIMESTAMP) THEN 'change'
         ELSE 'skip' END AS _kind,
    CAST(NULL AS VARCHAR) AS _why,
    r.data_id, r.group_id, r.tenant_id, r.content, r.md5, r.gmt_create, r.gmt_modified, r.src_user, r.src_ip,
    r.app_name, r.type,
    CASE WHEN l._current_is_after THEN l.nid END AS nid,
    CASE WHEN l._current_is_after THEN l.op_type END AS op_type,
    CASE WHEN l._current_is_after THEN l.change_id ELSE 'config_info:' || coalesce(r.id, r._object) END AS change_id,
    CASE WHEN l._current_is_after THEN l.ts ELSE r.gmt_modified END AS ts,
    CASE WHEN l._current_is_after THEN l.actor ELSE coalesce(r.src_user, r.src_ip) END AS actor,
    CASE WHEN l._current_is_after THEN l.action
         WHEN TRY_CAST(r.gmt_create AS TIMESTAMP) = TRY_CAST(r.gmt_modified AS TIMESTAMP) THEN 'create'
         ELSE 'update' END AS action,
    CAST(NULL AS VARCHAR) AS ticket,
    r._object AS object,
    CASE WHEN l._current_is_after THEN l.after_content ELSE r.content END AS after_content,
    CASE WHEN l._current_is_after THEN l.before_content END AS before_content,
    CASE WHEN l._current_is_after THEN l.version ELSE coalesce(r.md5, md5(r.content)) END AS version,
    CASE WHEN l._current_is_after THEN l._declared ELSE r.type END AS _declared,
    'nacos' AS source_format,
    CASE WHEN l._current_is_after THEN l.seq END AS seq
FROM current_configs r
LEFT JOIN last_changes l ON l.object = r._object
WHERE r._mine;
