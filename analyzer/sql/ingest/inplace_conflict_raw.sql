-- The raw text of a Parquet file's conflicting rows, read in place: the staged rows keep only a
-- hash of their content, so the few rows that dedupe.sql quarantined are read again from the
-- file, by row number (DuckDB skips the row groups that hold none of them).
-- Parameters: $file_id, $path (the file). Grain: updates one rejects row per conflicting row.
UPDATE rejects SET raw = r.raw
FROM (SELECT n + 1 AS line, CAST(to_json(c) AS VARCHAR) AS raw
      FROM (SELECT file_row_number AS n, struct_pack(*COLUMNS(* EXCLUDE (file_row_number))) AS c
            FROM read_parquet($path, file_row_number = true, hive_partitioning = false)
            WHERE file_row_number IN (SELECT line - 1 FROM _verdicts WHERE reason = 'conflicting_duplicate'))) r
WHERE rejects.file_id = $file_id AND rejects.line = r.line AND rejects.raw IS NULL;
