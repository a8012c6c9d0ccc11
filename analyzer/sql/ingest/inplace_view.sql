-- `transactions` once Parquet files are read in place: the copied rows (transactions_copied)
-- and every in-place file's rows (inplace_branch.sql), with the columns and types of the table.
-- Placeholder {{branches}}: `UNION ALL SELECT ...` per file, in file_id order.
-- Grain: one row per loaded txn_id, as the table.
CREATE OR REPLACE VIEW transactions AS
SELECT * FROM transactions_copied
{{branches}};
