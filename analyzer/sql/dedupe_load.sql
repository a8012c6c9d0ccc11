-- Collapse exact duplicates, quarantine conflicts, then load one file's valid rows.
-- Runs inside the file's transaction after a stage_*.sql has filled _stage.
-- Parameters: $file_id (load_manifest.file_id of this file), $kind.
-- Placeholders in double braces (quoted identifiers from ingest/kinds.py): table, key,
-- key_name, content / loaded_content (the content columns as row constructors), raw (a struct
-- of the row for rejects), columns (the target table's input columns in order).
-- Grain: a key loads at most once; same key with the same content = duplicate,
-- same key with other content = conflicting_duplicate (all rows of that key, nothing chosen).

-- Keys seen more than once among this file's valid rows (rare, so the second pass is cheap).
CREATE OR REPLACE TEMP TABLE _dupkeys AS
WITH repeated AS (
    SELECT {{key}} AS k FROM _stage WHERE reason IS NULL GROUP BY {{key}} HAVING count(*) > 1
)
SELECT s.{{key}} AS k, count(DISTINCT {{content}}) AS variants, min(s._line) AS first_line
FROM _stage s JOIN repeated r ON s.{{key}} = r.k
WHERE s.reason IS NULL
GROUP BY s.{{key}};

UPDATE _stage SET reason = 'conflicting_duplicate', field = {{key_name}},
    message = 'the same ' || {{key_name}} || ' appears in this file with different content',
    raw = to_json({{raw}})
FROM _dupkeys d
WHERE _stage.reason IS NULL AND _stage.{{key}} = d.k AND d.variants > 1;

UPDATE _stage SET reason = 'duplicate'
FROM _dupkeys d
WHERE _stage.reason IS NULL AND _stage.{{key}} = d.k AND d.variants = 1 AND _stage._line > d.first_line;

-- Rows whose key is already loaded from an earlier file.
CREATE OR REPLACE TEMP TABLE _existing AS
SELECT s._line, s.{{key}} AS k, t.file_id AS loaded_file_id, t.line AS loaded_line,
       {{content}} IS NOT DISTINCT FROM {{loaded_content}} AS same
FROM _stage s JOIN {{table}} t ON s.{{key}} = t.{{key}}
WHERE s.reason IS NULL;

UPDATE _stage SET reason = 'duplicate'
FROM _existing e
WHERE _stage._line = e._line AND e.same;

UPDATE _stage SET reason = 'conflicting_duplicate', field = {{key_name}},
    message = 'conflicts with the row already loaded from file ' || e.loaded_file_id || ' line ' || e.loaded_line,
    raw = to_json({{raw}})
FROM _existing e
WHERE _stage._line = e._line AND NOT e.same;

INSERT INTO disputed
SELECT $kind, k, loaded_file_id, loaded_line, $file_id, _line FROM _existing WHERE NOT same;

INSERT INTO {{table}}
SELECT {{columns}}, $file_id, _line FROM _stage WHERE reason IS NULL;

INSERT INTO rejects
SELECT $file_id, $kind, _line, CAST({{key}} AS VARCHAR), reason, field, message, raw
FROM _stage WHERE reason IS NOT NULL AND reason <> 'duplicate';
