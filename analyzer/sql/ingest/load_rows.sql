-- Load one file's valid rows from the staged rows (_stage) into the target table, leaving out
-- the duplicates and conflicts judged by dedupe.sql. Rows are only ever appended here: deleting
-- rows appended in the same transaction would make the commit rewrite what was just written.
-- Parameters: $file_id. Placeholders in double braces: target (the table rows are copied into:
-- transactions, or transactions_copied once Parquet files are read in place), columns (the
-- target table's input columns in order).
-- Grain: one row per valid input row.
INSERT INTO {{target}}
SELECT {{columns}}, $file_id, _line FROM _stage
WHERE reason IS NULL AND _line NOT IN (SELECT line FROM _verdicts);
