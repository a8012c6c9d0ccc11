-- The keys of every transaction loaded, for judging the duplicates of Parquet files read in
-- place (dedupe_keys.sql): read once per ingest from `transactions` (the view reads every file
-- in place), then each file's loaded keys are appended (inplace_keys_append.sql) instead of
-- reading the files again. Dropped when the ingest ends (loader.py).
-- Grain: one row per loaded row.
CREATE TEMP TABLE IF NOT EXISTS _loaded_keys AS SELECT txn_id FROM transactions;
