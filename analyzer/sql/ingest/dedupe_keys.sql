-- The first step of judging duplicates (dedupe.sql): the keys of one file's valid staged rows
-- (_stage) that repeat, in the file or against the rows loaded before. This is the one step
-- over every key loaded; the rest works on the few rows of these keys.
-- Placeholders in double braces: table (what is loaded: the table or the view), key.
-- Grain: one row per key seen more than once.
-- Keys seen more than once among this file's valid rows and the rows loaded before: one hash
-- aggregate over the keys; the matches are rare, so the rest is cheap.
CREATE OR REPLACE TEMP TABLE _dupkeys AS
SELECT k FROM (
    SELECT {{key}} AS k FROM _stage WHERE reason IS NULL
    UNION ALL
    SELECT {{key}} AS k FROM {{table}}
)
GROUP BY k HAVING count(*) > 1;
