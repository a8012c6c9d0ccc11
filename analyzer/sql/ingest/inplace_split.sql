-- The first Parquet file read in place: the table of copied rows keeps its rows under the name
-- transactions_copied, and `transactions` becomes the view of those rows and the files'
-- (inplace_view.sql). Later copied files (CSV, JSON lines, --copy) are appended to it.
ALTER TABLE transactions RENAME TO transactions_copied;
