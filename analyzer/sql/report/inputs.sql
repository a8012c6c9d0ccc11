-- The ingested files for manifest.json, in ingest order: path, hash, size and row accounting.
-- Grain: one row per ingested file.
SELECT path, kind, format, sha256, size_bytes, tz, rows_read, rows_loaded, rows_duplicate, rows_rejected, ingested_at
FROM load_manifest
ORDER BY file_id
