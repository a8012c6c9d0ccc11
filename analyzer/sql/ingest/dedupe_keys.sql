-- The first step of judging duplicates (dedupe.sql): the keys of one file's valid staged rows
-- (_stage) that repeat, in the file or against the rows loaded before, and whether a loaded row
-- has it (`earlier`: only then does dedupe.sql look for that row among the loaded ones). This
-- is the one step over every key loaded; the rest works on the few rows of these keys.
-- Placeholders in double braces: key; loaded (the keys loaded before: the table itself, or
-- for Parquet read in place the temp table _loaded_keys, inplace_loaded_keys.sql, so a
-- lake of many files is not read again for every file).
-- A key repeated within the file is one small aggregate over the file's keys; a key loaded
-- before is a join of the file's keys (DuckDB hashes the smaller side) with the keys
-- loaded: never an aggregate over everything loaded, which grows with every file of a lake.
-- Grain: one row per key seen more than once.
CREATE OR REPLACE TEMP TABLE _dupkeys AS
SELECT k, bool_or(earlier) AS earlier FROM (
    SELECT {{key}} AS k, false AS earlier FROM _stage WHERE reason IS NULL GROUP BY {{key}} HAVING count(*) > 1
    UNION ALL
    SELECT DISTINCT s.{{key}}, true FROM _stage s JOIN {{loaded}} l ON l.{{key}} = s.{{key}} WHERE s.reason IS NULL
)
GROUP BY k;
