-- A file already ingested (the same SHA-256 for the same kind): its accounting, so that
-- ingesting it again changes nothing. Parameters: $sha256, $kind. Grain: one row or none.
SELECT rows_read, rows_loaded, rows_duplicate, rows_rejected, rows_skipped, encoding
FROM load_manifest WHERE sha256 = $sha256 AND kind = $kind
ORDER BY file_id LIMIT 1
