-- The load manifest: every ingested file with its hash and row accounting, and whether it
-- reconciles (read = loaded + duplicate + rejected). Parameters: none. Grain: one row per file.
SELECT file_id, path, kind, rows_read, rows_loaded, rows_duplicate, rows_rejected,
       rows_read = rows_loaded + rows_duplicate + rows_rejected AS reconciles,
       format, encoding, tz, size_bytes, sha256, ingested_at
FROM load_manifest
ORDER BY file_id
