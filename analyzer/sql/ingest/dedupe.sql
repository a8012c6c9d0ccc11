-- Collapse exact duplicates and quarantine conflicts among one file's valid staged rows
-- and the rows already loaded, among the keys that repeat (_dupkeys, dedupe_keys.sql), before
-- anything is loaded (load_rows.sql then leaves out every
-- row judged here). Runs inside the file's transaction.
-- Parameters: $file_id (load_manifest.file_id of this file), $kind.
-- Placeholders in double braces (quoted identifiers from ingest/kinds.py): table, key,
-- key_name, row (the content columns as a row constructor), raw (a struct of the key and the
-- content, for rejects), stage (the staged rows with their content: _stage; for a Parquet
-- file read in place, which stages no content, _stage_dups: the rows of the repeated keys read
-- again from the file, inplace_dup_rows.sql).
-- Grain: a key loads at most once; same key with the same content = duplicate,
-- same key with other content = conflicting_duplicate (all rows of that key in this file,
-- nothing chosen); a row that contradicts one loaded from an earlier file is quarantined and
-- the pair recorded in `disputed`.

-- Every row of those keys: this file's and the one loaded from an earlier file.
CREATE OR REPLACE TEMP TABLE _duprows AS
SELECT CAST($file_id AS INTEGER) AS file_id, _line AS line, {{key}} AS k, {{row}} AS content,
       CAST(to_json({{raw}}) AS VARCHAR) AS raw
FROM {{stage}} WHERE reason IS NULL AND {{key}} IN (SELECT k FROM _dupkeys)
UNION ALL
SELECT file_id, line, {{key}}, {{row}}, CAST(to_json({{raw}}) AS VARCHAR)
FROM {{table}} WHERE {{key}} IN (SELECT k FROM _dupkeys WHERE earlier);

-- What happens to each of this file's rows that repeats a key: first within the file (same
-- content: the first row stays, the others are duplicates; other content: every row of the key
-- is quarantined), then the rows left against the row loaded from an earlier file.
CREATE OR REPLACE TEMP TABLE _verdicts AS
WITH mine AS (
    SELECT * FROM _duprows WHERE file_id = $file_id
), repeated AS (
    SELECT k, count(DISTINCT content) AS variants, min(line) AS first_line
    FROM mine GROUP BY k HAVING count(*) > 1
), within AS (
    SELECT m.line, m.k, m.raw,
           CASE WHEN r.variants > 1 THEN 'conflicting_duplicate' ELSE 'duplicate' END AS reason,
           'the same ' || {{key_name}} || ' appears in this file with different content' AS message,
           CAST(NULL AS INTEGER) AS loaded_file_id, CAST(NULL AS BIGINT) AS loaded_line
    FROM mine m JOIN repeated r USING (k)
    WHERE r.variants > 1 OR m.line > r.first_line
), earlier AS (
    SELECT m.line, m.k, m.raw,
           CASE WHEN m.content IS NOT DISTINCT FROM e.content THEN 'duplicate' ELSE 'conflicting_duplicate' END AS reason,
           'conflicts with the row already loaded from file ' || e.file_id || ' line ' || e.line AS message,
           e.file_id AS loaded_file_id, e.line AS loaded_line
    FROM mine m JOIN _duprows e ON e.k = m.k AND e.file_id <> $file_id
    WHERE m.line NOT IN (SELECT line FROM within)
)
SELECT * FROM within
UNION ALL
SELECT * FROM earlier;

INSERT INTO disputed (kind, record_key, file_id, line, conflicting_file_id, conflicting_line, reason, detail)
SELECT $kind, k, loaded_file_id, loaded_line, $file_id, line, 'conflicting_duplicate', message
FROM _verdicts WHERE reason = 'conflicting_duplicate' AND loaded_file_id IS NOT NULL;

INSERT INTO rejects
SELECT $file_id, $kind, line, CAST(k AS VARCHAR), reason, {{key_name}}, message, raw
FROM _verdicts WHERE reason = 'conflicting_duplicate';

INSERT INTO rejects
SELECT $file_id, $kind, line, record_key, reason, field, message, raw FROM _rejected;
