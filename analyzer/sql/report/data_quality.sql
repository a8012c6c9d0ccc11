-- Report: row accounting per ingested file, and the quarantined rows by reason.
-- Grain: one row per (file, reason); reason NULL for a file with no rejects.
-- read = loaded + duplicate + rejected holds per file (analyzer check, row_accounting).
SELECT m.file_id, m.path, m.kind, m.format, m.sha256, m.size_bytes, m.rows_read, m.rows_loaded, m.rows_duplicate,
       m.rows_rejected, r.reason, coalesce(r.rows, 0) AS reason_rows
FROM load_manifest m
LEFT JOIN (SELECT file_id, reason, count(*) AS rows FROM rejects GROUP BY ALL) r USING (file_id)
ORDER BY m.file_id, r.reason NULLS FIRST
