-- The definitions of the database's own views (not DuckDB's internal ones): which files a view
-- reads (analyze --engine spark keeps a run directory of Parquet that a view still reads).
-- Grain: one row per view.
SELECT sql FROM duckdb_views() WHERE NOT internal AND sql IS NOT NULL;
