-- Case 1, the reference load: DuckDB's own load of the CSV file into the same column types as
-- ingest produces (TIMESTAMPTZ, DECIMAL(18,2)); lines it cannot read are skipped
-- (ignore_errors), where ingest quarantines them with a reason.
-- Parameters: $path. Grain: one row per readable row of the file.
CREATE TABLE transactions AS
SELECT * FROM read_csv($path, header = true, ignore_errors = true,
    columns = {'txn_id': 'VARCHAR', 'ts': 'TIMESTAMPTZ', 'user_id': 'VARCHAR', 'merchant_id': 'VARCHAR',
               'scene': 'VARCHAR', 'amount': 'DECIMAL(18,2)', 'discount': 'DECIMAL(18,2)',
               'paid': 'DECIMAL(18,2)', 'campaign_id': 'VARCHAR', 'config_version': 'VARCHAR',
               'type': 'VARCHAR', 'original_txn_id': 'VARCHAR'});
