-- The Parquet files read in place and the identity each had at ingest, for the checks before
-- the view is read (analyzer/ingest/verify.py). Grain: one row per file.
SELECT f.file_id, f.path, f.size_bytes, f.mtime_ns, f.footer_sha256, m.sha256
FROM inplace_files f JOIN load_manifest m USING (file_id)
ORDER BY f.file_id
