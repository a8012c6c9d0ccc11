-- Whether $name is a table or a view of the current schema (or neither: no row): a derived
-- table that one engine builds as a table, the other attaches as a view over Parquet
-- (analysis/parquet_view.sql), is dropped as what it is before the other replaces it.
SELECT 'TABLE' AS kind FROM duckdb_tables() WHERE table_name = $name AND schema_name = current_schema() AND NOT temporary
UNION ALL
SELECT 'VIEW' FROM duckdb_views() WHERE view_name = $name AND schema_name = current_schema() AND NOT temporary
