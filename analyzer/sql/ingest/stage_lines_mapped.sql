-- The staged rows with their line in the file, when the lines were counted one by one (a quoted
-- field holding a line break, blank lines): _line_map gives the line of the row at each
-- position (analyzer/ingest/readers/base.py, csv_lines).
-- Grain: one row per data row of the file, as _stage_rows.
CREATE OR REPLACE TEMP VIEW _stage AS
SELECT s.* EXCLUDE (_pos) REPLACE (coalesce(s._line, m.line) AS _line)
FROM (SELECT *, rowid - (SELECT min(rowid) FROM _stage_rows) AS _pos FROM _stage_rows) s
LEFT JOIN _line_map m ON m.pos = s._pos;
