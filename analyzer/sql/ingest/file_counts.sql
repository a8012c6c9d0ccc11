-- What happened to one file's rows, once dedupe.sql judged them: rows rejected by validation
-- (and the refund and order checks), exact duplicates collapsed, conflicts quarantined.
-- Parameters: none (reads the temp tables of this file). Grain: one row.
SELECT (SELECT count(*) FROM _rejected) AS rejected_rows,
       count(*) FILTER (reason = 'duplicate') AS duplicate,
       count(*) FILTER (reason = 'conflicting_duplicate') AS conflicting
FROM _verdicts
