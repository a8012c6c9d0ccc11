-- Loaded records under dispute: two files disagree on them (the row kept and the conflicting
-- one), or a refund of an unknown payment or beyond what it paid (never applied).
-- Parameters: none. Grain: one row per disputed record.
SELECT d.kind, d.record_key, d.reason, d.detail, m1.path AS kept_file, d.line AS kept_line,
       m2.path AS conflicting_file, d.conflicting_line
FROM disputed d
LEFT JOIN load_manifest m1 ON m1.file_id = d.file_id
LEFT JOIN load_manifest m2 ON m2.file_id = d.conflicting_file_id
ORDER BY d.kind, d.reason, d.record_key
