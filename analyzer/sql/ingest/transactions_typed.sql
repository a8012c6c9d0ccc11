-- The typed values of a transactions source, before validation: one expression per column,
-- shared by the staging of every transactions file (stage_transactions.sql) and by the view
-- over Parquet files read in place (inplace_branch.sql), so a row reads the same either way.
-- Placeholders: {{source}} the relation read (a reader's SELECT: canonical columns plus _line,
-- _malformed, _raw, _ts_naive); {{money:c}}, {{given:c}}, {{instant:c}} as in
-- stage_transactions.sql. Grain: one row per row of the source.
SELECT
    _line, _malformed, _raw, _ts_naive,
    NULLIF(trim(CAST(txn_id AS VARCHAR)), '')          AS txn_id,
    {{given:ts}}                                       AS has_ts,
    {{instant:ts}}                                     AS ts,
    NULLIF(trim(CAST(user_id AS VARCHAR)), '')         AS user_id,
    NULLIF(trim(CAST(merchant_id AS VARCHAR)), '')     AS merchant_id,
    lower(NULLIF(trim(CAST(scene AS VARCHAR)), ''))    AS scene,
    {{given:amount}}                                   AS has_amount,
    {{money:amount}}                                   AS amount,
    {{given:discount}}                                 AS has_discount,
    {{money:discount}}                                 AS discount,
    {{given:paid}}                                     AS has_paid,
    {{money:paid}}                                     AS paid,
    {{given:merchant_discount}}                        AS has_merchant_discount,
    {{money:merchant_discount}}                        AS merchant_discount,
    NULLIF(trim(CAST(campaign_id AS VARCHAR)), '')     AS campaign_id,
    NULLIF(trim(CAST(config_version AS VARCHAR)), '')  AS config_version,
    coalesce(lower(NULLIF(trim(CAST(type AS VARCHAR)), '')), 'payment') AS type,
    NULLIF(trim(CAST(original_txn_id AS VARCHAR)), '') AS original_txn_id,
    upper(NULLIF(trim(CAST(currency AS VARCHAR)), '')) AS currency,
    -- the values as given, for the messages of rejected rows (the typed ones are NULL then):
    -- passed through, turned into text only for the rows rejected (stage_transactions.sql)
    ts AS ts_given, amount AS amount_given, discount AS discount_given, paid AS paid_given,
    merchant_discount AS merchant_discount_given
FROM {{source}}
