-- Every file reconciles: rows_read = rows_loaded + rows_duplicate + rows_rejected, and the
-- rows in the tables and in rejects match what the manifest says. Offending rows: one per file.
WITH loaded AS (
    SELECT file_id, count(*) AS n FROM transactions GROUP BY file_id
    UNION ALL SELECT file_id, count(*) FROM config_changes GROUP BY file_id
    UNION ALL SELECT file_id, count(*) FROM events GROUP BY file_id
), rejected AS (
    SELECT file_id, count(*) AS n FROM rejects GROUP BY file_id
)
SELECT m.file_id, m.path, m.rows_read, m.rows_loaded, m.rows_duplicate, m.rows_rejected,
       coalesce(l.n, 0) AS rows_in_table, coalesce(r.n, 0) AS rows_in_rejects
FROM load_manifest m
LEFT JOIN loaded l USING (file_id)
LEFT JOIN rejected r USING (file_id)
WHERE m.rows_read <> m.rows_loaded + m.rows_duplicate + m.rows_rejected
   OR coalesce(l.n, 0) <> m.rows_loaded
   OR coalesce(r.n, 0) <> m.rows_rejected
ORDER BY m.file_id;
