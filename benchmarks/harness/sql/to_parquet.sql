-- The benchmark's Parquet input: the generator's transactions.csv with typed columns
-- (ts TIMESTAMPTZ, money DECIMAL(18,2)), as a platform's Parquet export would have them.
-- Untimed, once per size. Values that are not exact (a timestamp that does not parse, money
-- with more than two decimals) become NULL rather than being rounded, so ingest still has
-- something to quarantine; the one line the CSV reader cannot split is left out.
-- Parameters: $csv (path of transactions.csv). Placeholder: {{parquet}} the quoted path to write
-- (COPY takes no parameter for its target).
COPY (
    SELECT
        txn_id,
        TRY_CAST(ts AS TIMESTAMPTZ) AS ts,
        user_id, merchant_id, scene,
        CASE WHEN TRY_CAST(amount AS DECIMAL(38,6)) = TRY_CAST(amount AS DECIMAL(18,2)) THEN TRY_CAST(amount AS DECIMAL(18,2)) END AS amount,
        CASE WHEN TRY_CAST(discount AS DECIMAL(38,6)) = TRY_CAST(discount AS DECIMAL(18,2)) THEN TRY_CAST(discount AS DECIMAL(18,2)) END AS discount,
        CASE WHEN TRY_CAST(paid AS DECIMAL(38,6)) = TRY_CAST(paid AS DECIMAL(18,2)) THEN TRY_CAST(paid AS DECIMAL(18,2)) END AS paid,
        campaign_id, config_version, type, original_txn_id
    FROM read_csv($csv, header = true, auto_detect = false, ignore_errors = true, delim = ',', quote = '"', escape = '"',
        columns = {'txn_id': 'VARCHAR', 'ts': 'VARCHAR', 'user_id': 'VARCHAR', 'merchant_id': 'VARCHAR',
                   'scene': 'VARCHAR', 'amount': 'VARCHAR', 'discount': 'VARCHAR', 'paid': 'VARCHAR',
                   'campaign_id': 'VARCHAR', 'config_version': 'VARCHAR', 'type': 'VARCHAR',
                   'original_txn_id': 'VARCHAR'})
) TO {{parquet}} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880);
