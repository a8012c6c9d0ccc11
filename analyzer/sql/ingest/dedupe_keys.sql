-- The first step of judging duplicates (dedupe.sql): the keys of one file's valid staged rows
-- (_stage) that repeat, in the file or against the rows loaded before, and whether a loaded row
-- has it (`earlier`: only then does dedupe.sql look for that row among the loaded ones). This
-- is the one step over every key loaded; the rest works on the few rows of these keys.
-- Placeholders in double braces: key; loaded (the keys loaded before: the table itself, or
-- for Parquet read in place the temp table _loaded_keys, inplace_loaded_keys.sql, so a
-- lake of many files is not read again for every file).
-- Grain: one row per key seen more than once.
CREATE OR REPLACE TEMP TABLE _dupkeys AS
SELECT k, bool_or(loaded) AS earlier FROM (
    SELECT {{key}} AS k, false AS loaded FROM _stage WHERE reason IS NULL
    UNION ALL
    SELECT {{key}} AS k, true AS loaded FROM {{loaded}}
)
GROUP BY k HAVING count(*) > 1;
