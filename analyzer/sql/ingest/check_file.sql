-- Check one file before loading it: one scan of the staged rows (_stage, stage_*.sql) that
-- counts them, finds the first naive timestamp, and keeps the rejected rows (there are few) with
-- their reason, field, message and raw text. Nothing is written to the target table here.
-- Placeholders in double braces: key (the kind's key column, quoted).
-- Grain: _file_check one row for the file; _rejected one row per rejected row.
CREATE OR REPLACE TEMP TABLE _file_check AS
SELECT count(*) AS rows_read,
       min(_line) FILTER (_ts_naive) AS first_naive_line,
       list({'line': _line, 'record_key': CAST({{key}} AS VARCHAR), 'reason': reason, 'field': field,
             'message': message, 'raw': raw}) FILTER (reason IS NOT NULL) AS rejected
FROM _stage;

CREATE OR REPLACE TEMP TABLE _rejected AS
SELECT r.line, r.record_key, r.reason, r.field, r.message, r.raw
FROM (SELECT unnest(rejected) AS r FROM _file_check);
