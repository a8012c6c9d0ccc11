-- The staged rows with their line in the file. A position-numbered row (CSV, JSON lines) arrives
-- without one (numbering rows while parsing would take a window over the whole file, in one
-- thread): the staged table keeps the file's order, so a row's position in it plus the line of
-- the first row is its line. (rowid counts from an offset when the table was made inside a
-- transaction, hence the first rowid.) Every line the reader itself skipped shifts the rows
-- after it by one more.
-- Parameters: $first_line (the line of the first data row), $skipped (the thresholds: the j-th
-- skipped line L, 0-based j, gives L - j; empty when the reader skipped nothing).
-- Grain: one row per data row of the file, as _stage_rows.
-- (A view takes no parameters: they go in the one-row table _line_shift.)
CREATE OR REPLACE TEMP TABLE _line_shift AS
SELECT CAST($skipped AS BIGINT[]) AS thresholds, CAST($first_line AS BIGINT) AS first_line;

CREATE OR REPLACE TEMP VIEW _stage AS
WITH numbered AS (
    SELECT * REPLACE (coalesce(_line, rowid - (SELECT min(rowid) FROM _stage_rows) + (SELECT first_line FROM _line_shift)) AS _line)
    FROM _stage_rows
)
SELECT * REPLACE (_line + len(list_filter((SELECT thresholds FROM _line_shift), lambda x: x <= _line)) AS _line)
FROM numbered;
