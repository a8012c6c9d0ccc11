-- Case 3, the physical limit: one scan of the ingested table over exactly the columns that
-- `analyze` reads (every column but paid, file_id and line: the one pass over every payment
-- reads ts, type, campaign_id, scene, config_version, amount, discount; pricing the incident
-- campaign adds txn_id, user_id, merchant_id; refunds add original_txn_id), each reduced to a
-- sum (a max for text, so that every value is decompressed and looked at). Nothing is joined,
-- priced or written.
-- Grain: one row.
SELECT count(*) AS rows,
       sum(epoch_ms(ts)) AS ts_sum,
       sum(amount) AS amount_sum,
       sum(discount) AS discount_sum,
       max(txn_id) AS txn_id_max,
       max(user_id) AS user_id_max,
       max(merchant_id) AS merchant_id_max,
       max(scene) AS scene_max,
       max(campaign_id) AS campaign_max,
       max(config_version) AS config_version_max,
       max(type) AS type_max,
       max(original_txn_id) AS original_txn_id_max
FROM transactions;
