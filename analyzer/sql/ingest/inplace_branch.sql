-- One Parquet file read in place, as the rows the `transactions` table would hold had it been
-- copied: the typed values of transactions_typed.sql over the reader's relation (the same
-- expressions the checks ran on), the file's id and the row's line, less the lines that
-- ingest left out (inplace_excluded). Stored filled in inplace_files.branch_sql and put
-- together by inplace_view.sql.
-- Placeholders: {{typed}} (transactions_typed.sql over the file), {{file_id}} (an integer).
-- Grain: one row per loaded row of the file.
SELECT CAST(txn_id AS VARCHAR) AS txn_id, CAST(ts AS TIMESTAMPTZ) AS ts, CAST(user_id AS VARCHAR) AS user_id,
       CAST(merchant_id AS VARCHAR) AS merchant_id, CAST(scene AS VARCHAR) AS scene,
       CAST(amount AS DECIMAL(18,2)) AS amount, CAST(discount AS DECIMAL(18,2)) AS discount,
       CAST(paid AS DECIMAL(18,2)) AS paid, CAST(campaign_id AS VARCHAR) AS campaign_id,
       CAST(config_version AS VARCHAR) AS config_version, CAST(type AS VARCHAR) AS type,
       CAST(original_txn_id AS VARCHAR) AS original_txn_id, CAST(merchant_discount AS DECIMAL(18,2)) AS merchant_discount,
       CAST(currency AS VARCHAR) AS currency, CAST({{file_id}} AS INTEGER) AS file_id, CAST(_line AS BIGINT) AS line
FROM ({{typed}})
WHERE _line NOT IN (SELECT line FROM inplace_excluded WHERE file_id = {{file_id}})
