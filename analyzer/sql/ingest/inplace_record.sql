-- One Parquet file read in place, once checked and judged: the lines the view leaves out
-- (rejected by validation, exact duplicates collapsed, conflicts quarantined: the same rows
-- load_rows.sql leaves out of a copy) and the file's identity for the checks at analyze.
-- Parameters: $file_id, $path, $size_bytes, $mtime_ns, $footer_sha256, $branch_sql.
INSERT INTO inplace_excluded
SELECT $file_id, _line FROM _stage WHERE reason IS NOT NULL
UNION
SELECT $file_id, line FROM _verdicts;

INSERT INTO inplace_files (file_id, path, size_bytes, mtime_ns, footer_sha256, branch_sql)
VALUES ($file_id, $path, $size_bytes, $mtime_ns, $footer_sha256, $branch_sql);
