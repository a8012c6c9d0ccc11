-- Records that two files disagree on (same key, different content): the row kept and the
-- conflicting one. Parameters: none. Grain: one row per disputed record.
SELECT d.kind, d.record_key, m1.path AS kept_file, d.line AS kept_line, m2.path AS conflicting_file,
       d.conflicting_line
FROM disputed d
LEFT JOIN load_manifest m1 ON m1.file_id = d.file_id
LEFT JOIN load_manifest m2 ON m2.file_id = d.conflicting_file_id
ORDER BY d.kind, d.record_key
