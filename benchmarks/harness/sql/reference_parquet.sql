-- Case 1, the reference load: DuckDB's own load of the Parquet file, the floor under ingest.
-- Parameters: $path. Grain: one row per row of the file.
CREATE TABLE transactions AS SELECT * FROM read_parquet($path);
