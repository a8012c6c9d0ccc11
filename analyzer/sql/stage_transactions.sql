-- Parse and validate one transactions file.
-- Reads the temp view _stage_raw (analyzer/ingest/sources.py); writes temp table _stage,
-- one row per data row of the file, typed, with the first rule it breaks (reason NULL = valid).
-- Money: parsed at 6 decimals first so that a sub-cent value is rejected, never rounded.
-- Naive timestamps are read in the session TimeZone (set from --tz by the loader).
CREATE OR REPLACE TEMP TABLE _stage AS
WITH typed AS (
    SELECT
        _line, _malformed, _raw, _ts_naive,
        NULLIF(trim(CAST(txn_id AS VARCHAR)), '')          AS txn_id,
        NULLIF(trim(CAST(ts AS VARCHAR)), '')              AS ts_text,
        TRY_CAST(ts AS TIMESTAMPTZ)                        AS ts,
        NULLIF(trim(CAST(user_id AS VARCHAR)), '')         AS user_id,
        NULLIF(trim(CAST(merchant_id AS VARCHAR)), '')     AS merchant_id,
        lower(NULLIF(trim(CAST(scene AS VARCHAR)), ''))    AS scene,
        NULLIF(trim(CAST(amount AS VARCHAR)), '')          AS amount_text,
        TRY_CAST(amount AS DECIMAL(38,6))                  AS amount_x,
        NULLIF(trim(CAST(discount AS VARCHAR)), '')        AS discount_text,
        TRY_CAST(discount AS DECIMAL(38,6))                AS discount_x,
        NULLIF(trim(CAST(paid AS VARCHAR)), '')            AS paid_text,
        TRY_CAST(paid AS DECIMAL(38,6))                    AS paid_x,
        NULLIF(trim(CAST(campaign_id AS VARCHAR)), '')     AS campaign_id,
        NULLIF(trim(CAST(config_version AS VARCHAR)), '')  AS config_version,
        coalesce(lower(NULLIF(trim(CAST(type AS VARCHAR)), '')), 'payment') AS type,
        NULLIF(trim(CAST(original_txn_id AS VARCHAR)), '') AS original_txn_id
    FROM _stage_raw
), checked AS (
    SELECT *,
        CASE
            WHEN _malformed THEN 'malformed_row'
            WHEN txn_id IS NULL THEN 'missing_field'
            WHEN ts_text IS NULL THEN 'missing_field'
            WHEN ts IS NULL THEN 'bad_timestamp'
            WHEN user_id IS NULL THEN 'missing_field'
            WHEN amount_text IS NULL THEN 'missing_field'
            WHEN amount_x IS NULL OR amount_x <> round(amount_x, 2) OR abs(amount_x) >= 1e16 THEN 'bad_money'
            WHEN discount_text IS NULL THEN 'missing_field'
            WHEN discount_x IS NULL OR discount_x <> round(discount_x, 2) OR abs(discount_x) >= 1e16 THEN 'bad_money'
            WHEN paid_text IS NOT NULL AND (paid_x IS NULL OR paid_x <> round(paid_x, 2) OR abs(paid_x) >= 1e16) THEN 'bad_money'
            WHEN type NOT IN ('payment', 'refund') THEN 'bad_type'
            WHEN amount_x < 0 THEN 'negative_amount'
            WHEN discount_x < 0 OR discount_x > amount_x THEN 'discount_out_of_range'
            WHEN type = 'refund' AND original_txn_id IS NULL THEN 'refund_without_original'
            WHEN type = 'payment' AND paid_x IS NOT NULL AND paid_x <> amount_x - discount_x THEN 'paid_mismatch'
        END AS reason
    FROM typed
)
SELECT
    _line, _ts_naive, txn_id, ts, user_id, merchant_id, scene,
    CAST(amount_x AS DECIMAL(18,2)) AS amount,
    CAST(discount_x AS DECIMAL(18,2)) AS discount,
    CAST(paid_x AS DECIMAL(18,2)) AS paid,
    campaign_id, config_version, type, original_txn_id,
    reason,
    CASE
        WHEN reason = 'malformed_row' THEN NULL
        WHEN reason IN ('missing_field') THEN
            CASE WHEN txn_id IS NULL THEN 'txn_id' WHEN ts_text IS NULL THEN 'ts'
                 WHEN user_id IS NULL THEN 'user_id' WHEN amount_text IS NULL THEN 'amount'
                 ELSE 'discount' END
        WHEN reason = 'bad_timestamp' THEN 'ts'
        WHEN reason = 'bad_money' THEN
            CASE WHEN amount_x IS NULL OR amount_x <> round(amount_x, 2) OR abs(amount_x) >= 1e16 THEN 'amount'
                 WHEN discount_x IS NULL OR discount_x <> round(discount_x, 2) OR abs(discount_x) >= 1e16 THEN 'discount'
                 ELSE 'paid' END
        WHEN reason = 'bad_type' THEN 'type'
        WHEN reason = 'negative_amount' THEN 'amount'
        WHEN reason = 'discount_out_of_range' THEN 'discount'
        WHEN reason = 'refund_without_original' THEN 'original_txn_id'
        WHEN reason = 'paid_mismatch' THEN 'paid'
    END AS field,
    CASE reason
        WHEN 'malformed_row' THEN 'not a JSON object'
        WHEN 'missing_field' THEN 'required field is empty'
        WHEN 'bad_timestamp' THEN 'not an ISO 8601 timestamp: ' || ts_text
        WHEN 'bad_money' THEN 'not an amount with at most 2 decimals: '
            || coalesce(CASE WHEN amount_x IS NULL OR amount_x <> round(amount_x, 2) OR abs(amount_x) >= 1e16 THEN amount_text
                             WHEN discount_x IS NULL OR discount_x <> round(discount_x, 2) OR abs(discount_x) >= 1e16 THEN discount_text
                             ELSE paid_text END, '')
        WHEN 'bad_type' THEN 'type must be payment or refund, got ' || type
        WHEN 'negative_amount' THEN 'amount is negative: ' || amount_text
        WHEN 'discount_out_of_range' THEN 'discount ' || discount_text || ' is not between 0 and the amount ' || amount_text
        WHEN 'refund_without_original' THEN 'a refund must name the payment it refunds'
        WHEN 'paid_mismatch' THEN 'paid ' || paid_text || ' is not amount - discount = ' || CAST(CAST(amount_x - discount_x AS DECIMAL(18,2)) AS VARCHAR)
    END AS message,
    CASE WHEN reason IS NOT NULL THEN _raw END AS raw
FROM checked;
