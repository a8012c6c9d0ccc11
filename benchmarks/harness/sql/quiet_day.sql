-- One earlier day of a benchmark lake (data.py, prepare_lake): the incident day's clean payments
-- moved back by $back whole days, under new ids (d<back>-<id>), outside any campaign (no
-- discount, paid = amount, no version): ordinary traffic that every case must read or prune
-- and that changes no affected payment. At most $limit rows, in the day's own (time) order.
-- Parameters: $day (the incident day's Parquet file), $back, $limit. Placeholder: {{parquet}}
-- the quoted path to write (COPY takes no parameter for its target).
COPY (
    SELECT 'd' || CAST($back AS VARCHAR) || '-' || txn_id AS txn_id,
           ts - to_days(CAST($back AS INTEGER)) AS ts,
           user_id, merchant_id, scene, amount,
           CAST(0 AS DECIMAL(18,2)) AS discount, amount AS paid,
           CAST(NULL AS VARCHAR) AS campaign_id, CAST(NULL AS VARCHAR) AS config_version,
           'payment' AS type, CAST(NULL AS VARCHAR) AS original_txn_id
    FROM read_parquet($day)
    WHERE type = 'payment' AND txn_id IS NOT NULL AND ts IS NOT NULL AND user_id IS NOT NULL
      AND merchant_id IS NOT NULL AND scene IS NOT NULL AND amount > 0
    LIMIT $limit
) TO {{parquet}} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880);
