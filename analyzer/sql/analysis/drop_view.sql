-- The view an earlier analyze --engine spark left in place of a derived table
-- (analysis/parquet_view.sql), dropped before DuckDB builds the table again.
DROP VIEW IF EXISTS {{table}};
