-- Parse and validate one transactions file.
-- Reads the temp view _stage_raw (analyzer/ingest/sources.py); writes the temp table _stage_rows,
-- one row per data row of the file, typed, with the first rule it breaks (reason NULL = valid).
-- Money: parsed at 6 decimals first so that a sub-cent value is rejected, never rounded.
-- Text of a value (for a missing check or a message) is made only where it is needed: a value
-- that parsed is present, and only a value that did not parse is looked at as text. Turning every
-- timestamp and amount of a typed (Parquet) file into text would cost more than the rest.
-- Naive timestamps are read in the session TimeZone (set from --tz by the loader).
-- The file is parsed and validated once, in parallel, into this in-memory table; the loader then
-- counts and keeps the rejected rows and loads the valid ones from it (check_file.sql,
-- load_rows.sql). A CSV row's _line is NULL here: it is the row's position in this table
-- (stage_lines.sql), which needs no window over the file and keeps the parse parallel.
-- Placeholder {{raw}}: the SQL that turns _raw into text (sources.py, raw_sql), evaluated for
-- rejected rows only.
CREATE OR REPLACE TEMP TABLE _stage_rows AS
WITH typed AS (
    SELECT
        _line, _malformed, _raw, _ts_naive,
        NULLIF(trim(CAST(txn_id AS VARCHAR)), '')          AS txn_id,
        ts                                                 AS ts_in,
        TRY_CAST(ts AS TIMESTAMPTZ)                        AS ts,
        NULLIF(trim(CAST(user_id AS VARCHAR)), '')         AS user_id,
        NULLIF(trim(CAST(merchant_id AS VARCHAR)), '')     AS merchant_id,
        lower(NULLIF(trim(CAST(scene AS VARCHAR)), ''))    AS scene,
        amount                                             AS amount_in,
        TRY_CAST(amount AS DECIMAL(38,6))                  AS amount_x,
        discount                                           AS discount_in,
        TRY_CAST(discount AS DECIMAL(38,6))                AS discount_x,
        paid                                               AS paid_in,
        TRY_CAST(paid AS DECIMAL(38,6))                    AS paid_x,
        NULLIF(trim(CAST(campaign_id AS VARCHAR)), '')     AS campaign_id,
        NULLIF(trim(CAST(config_version AS VARCHAR)), '')  AS config_version,
        coalesce(lower(NULLIF(trim(CAST(type AS VARCHAR)), '')), 'payment') AS type,
        NULLIF(trim(CAST(original_txn_id AS VARCHAR)), '') AS original_txn_id
    FROM _stage_raw
), present AS (
    -- given = not NULL and not blank; the text is only looked at when the value did not parse
    SELECT *,
        CASE WHEN ts_in IS NULL THEN false WHEN ts IS NOT NULL THEN true
             ELSE trim(CAST(ts_in AS VARCHAR)) <> '' END AS has_ts,
        CASE WHEN amount_in IS NULL THEN false WHEN amount_x IS NOT NULL THEN true
             ELSE trim(CAST(amount_in AS VARCHAR)) <> '' END AS has_amount,
        CASE WHEN discount_in IS NULL THEN false WHEN discount_x IS NOT NULL THEN true
             ELSE trim(CAST(discount_in AS VARCHAR)) <> '' END AS has_discount,
        CASE WHEN paid_in IS NULL THEN false WHEN paid_x IS NOT NULL THEN true
             ELSE trim(CAST(paid_in AS VARCHAR)) <> '' END AS has_paid
    FROM typed
), checked AS (
    SELECT *,
        CASE
            WHEN _malformed THEN 'malformed_row'
            WHEN txn_id IS NULL THEN 'missing_field'
            WHEN NOT has_ts THEN 'missing_field'
            WHEN ts IS NULL THEN 'bad_timestamp'
            WHEN user_id IS NULL THEN 'missing_field'
            WHEN NOT has_amount THEN 'missing_field'
            WHEN amount_x IS NULL OR amount_x <> round(amount_x, 2) OR abs(amount_x) >= 1e16 THEN 'bad_money'
            WHEN NOT has_discount THEN 'missing_field'
            WHEN discount_x IS NULL OR discount_x <> round(discount_x, 2) OR abs(discount_x) >= 1e16 THEN 'bad_money'
            WHEN has_paid AND (paid_x IS NULL OR paid_x <> round(paid_x, 2) OR abs(paid_x) >= 1e16) THEN 'bad_money'
            WHEN type NOT IN ('payment', 'refund') THEN 'bad_type'
            WHEN amount_x < 0 THEN 'negative_amount'
            WHEN discount_x < 0 OR discount_x > amount_x THEN 'discount_out_of_range'
            WHEN type = 'refund' AND original_txn_id IS NULL THEN 'refund_without_original'
            WHEN type = 'payment' AND paid_x IS NOT NULL AND paid_x <> amount_x - discount_x THEN 'paid_mismatch'
        END AS reason
    FROM present
)
SELECT
    _line, _ts_naive, txn_id, ts, user_id, merchant_id, scene,
    -- exact for a valid row (at most 2 decimals); a typed DECIMAL(18,2) input passes unchanged
    TRY_CAST(amount_in AS DECIMAL(18,2)) AS amount,
    TRY_CAST(discount_in AS DECIMAL(18,2)) AS discount,
    TRY_CAST(paid_in AS DECIMAL(18,2)) AS paid,
    campaign_id, config_version, type, original_txn_id,
    reason,
    -- field and message: worked out for the rejected rows only
    CASE
        WHEN reason IS NULL THEN NULL
        WHEN reason = 'malformed_row' THEN NULL
        WHEN reason IN ('missing_field') THEN
            CASE WHEN txn_id IS NULL THEN 'txn_id' WHEN NOT has_ts THEN 'ts'
                 WHEN user_id IS NULL THEN 'user_id' WHEN NOT has_amount THEN 'amount'
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
    CASE WHEN reason IS NULL THEN NULL ELSE CASE reason
        WHEN 'malformed_row' THEN 'not a JSON object'
        WHEN 'missing_field' THEN 'required field is empty'
        WHEN 'bad_timestamp' THEN 'not an ISO 8601 timestamp: ' || trim(CAST(ts_in AS VARCHAR))
        WHEN 'bad_money' THEN 'not an amount with at most 2 decimals: '
            || coalesce(CASE WHEN amount_x IS NULL OR amount_x <> round(amount_x, 2) OR abs(amount_x) >= 1e16 THEN NULLIF(trim(CAST(amount_in AS VARCHAR)), '')
                             WHEN discount_x IS NULL OR discount_x <> round(discount_x, 2) OR abs(discount_x) >= 1e16 THEN NULLIF(trim(CAST(discount_in AS VARCHAR)), '')
                             ELSE NULLIF(trim(CAST(paid_in AS VARCHAR)), '') END, '')
        WHEN 'bad_type' THEN 'type must be payment or refund, got ' || type
        WHEN 'negative_amount' THEN 'amount is negative: ' || trim(CAST(amount_in AS VARCHAR))
        WHEN 'discount_out_of_range' THEN 'discount ' || trim(CAST(discount_in AS VARCHAR)) || ' is not between 0 and the amount ' || trim(CAST(amount_in AS VARCHAR))
        WHEN 'refund_without_original' THEN 'a refund must name the payment it refunds'
        WHEN 'paid_mismatch' THEN 'paid ' || trim(CAST(paid_in AS VARCHAR)) || ' is not amount - discount = ' || CAST(CAST(amount_x - discount_x AS DECIMAL(18,2)) AS VARCHAR)
    END END AS message,
    CASE WHEN reason IS NOT NULL THEN {{raw}} END AS raw
FROM checked;
