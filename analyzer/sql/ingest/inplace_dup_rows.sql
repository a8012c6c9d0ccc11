-- A Parquet file read in place stages no content (stage_transactions.sql with a narrow keep):
-- the valid rows whose key repeats (_dupkeys, few) are read again from the file with every
-- typed value, by row number (DuckDB skips the row groups that hold none of them), for
-- dedupe.sql to compare exactly.
-- Placeholders: {{key}}; {{typed}} (transactions_typed.sql over the file's relation, kept to the
-- row numbers of _dup_lines). Grain: one row per valid row of a repeated key.
CREATE OR REPLACE TEMP TABLE _dup_lines AS
SELECT _line FROM _stage WHERE reason IS NULL AND {{key}} IN (SELECT k FROM _dupkeys);

CREATE OR REPLACE TEMP TABLE _stage_dups AS
SELECT *, CAST(NULL AS VARCHAR) AS reason FROM ({{typed}}) WHERE _line IN (SELECT _line FROM _dup_lines);
