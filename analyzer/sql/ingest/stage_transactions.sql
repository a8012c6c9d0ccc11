-- Parse and validate one transactions file.
-- Reads the temp view _stage_raw (a reader, analyzer/ingest/readers/); writes the temp table
-- _stage_rows, one row per data row of the file, typed, with the first rule it breaks
-- (reason NULL = valid), its field and a message.
-- Money is exact or rejected: a value with any non-zero digit beyond the cent is bad_money, at
-- any number of decimals; never rounded. How a column is read depends on its type in the file
-- (analyzer/ingest/loader.py fills the templates from the view's schema):
--   {{money:c}}    the exact DECIMAL(18,2), NULL when it is not an exact cent amount
--   {{given:c}}    the value is there (not NULL, not blank)
--   {{text:c}}     the value as given, as text, for the messages of rejected rows (only they
--                  are turned into text: a cast of every timestamp to text costs more than its check)
--   {{instant:c}}  the TIMESTAMPTZ, NULL when it does not parse (naive text: in the session
--                  TimeZone, set from --tz by the loader)
-- Instants outside [1900, 2200) are bad_timestamp: nothing a payment log holds, and they break
-- the arithmetic of reports (a year 9999 plus an offset is no date).
-- The file is parsed and validated once, in parallel, into this in-memory table; the loader then
-- counts and keeps the rejected rows and loads the valid ones from it (check_file.sql,
-- load_rows.sql). A CSV row's _line is NULL here: it is the row's position in this table
-- (stage_lines.sql), which needs no window over the file and keeps the parse parallel.
-- Placeholder {{raw}}: the SQL that turns _raw into text (the reader's raw_sql), evaluated for
-- rejected rows only; {{typed}}: transactions_typed.sql over _stage_raw (the typed values);
-- {{keep}}: the columns kept: `*` when the rows are copied, or only what the checks need
-- (line, key, the verdict) when the file is read in place (loader.py).
CREATE OR REPLACE TEMP TABLE _stage_rows AS
SELECT {{keep}} FROM (
WITH typed AS (
{{typed}}
), checked AS (
    SELECT *,
        CASE
            WHEN _malformed THEN 'malformed_row'
            WHEN txn_id IS NULL THEN 'missing_field'
            WHEN NOT has_ts THEN 'missing_field'
            WHEN ts IS NULL OR ts < TIMESTAMPTZ '1900-01-01 00:00:00+00' OR ts >= TIMESTAMPTZ '2200-01-01 00:00:00+00' THEN 'bad_timestamp'
            WHEN user_id IS NULL THEN 'missing_field'
            WHEN regexp_matches(txn_id || user_id || coalesce(merchant_id, '') || coalesce(original_txn_id, ''), '[\x00-\x1f\x7f]') THEN 'bad_text'
            WHEN NOT has_amount THEN 'missing_field'
            WHEN amount IS NULL THEN 'bad_money'
            WHEN NOT has_discount THEN 'missing_field'
            WHEN discount IS NULL THEN 'bad_money'
            WHEN has_paid AND paid IS NULL THEN 'bad_money'
            WHEN has_merchant_discount AND merchant_discount IS NULL THEN 'bad_money'
            WHEN type NOT IN ('payment', 'refund') THEN 'bad_type'
            WHEN currency IS NOT NULL AND NOT regexp_full_match(currency, '[A-Z]{3}') THEN 'bad_currency'
            WHEN amount < 0 THEN 'negative_amount'
            WHEN discount < 0 OR discount > amount THEN 'discount_out_of_range'
            WHEN merchant_discount < 0 OR merchant_discount > amount THEN 'discount_out_of_range'
            WHEN type = 'refund' AND original_txn_id IS NULL THEN 'refund_without_original'
            WHEN type = 'payment' AND paid IS NOT NULL AND paid <> amount - discount - coalesce(merchant_discount, 0) THEN 'paid_mismatch'
        END AS reason
    FROM typed
)
SELECT
    _line, _ts_naive, txn_id, ts, user_id, merchant_id, scene, amount, discount, paid,
    campaign_id, config_version, type, original_txn_id, merchant_discount, currency,
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
        WHEN reason = 'bad_text' THEN
            CASE WHEN regexp_matches(txn_id, '[\x00-\x1f\x7f]') THEN 'txn_id'
                 WHEN regexp_matches(user_id, '[\x00-\x1f\x7f]') THEN 'user_id'
                 WHEN regexp_matches(coalesce(merchant_id, ''), '[\x00-\x1f\x7f]') THEN 'merchant_id'
                 ELSE 'original_txn_id' END
        WHEN reason = 'bad_money' THEN
            CASE WHEN amount IS NULL THEN 'amount' WHEN discount IS NULL THEN 'discount'
                 WHEN has_paid AND paid IS NULL THEN 'paid' ELSE 'merchant_discount' END
        WHEN reason = 'bad_type' THEN 'type'
        WHEN reason = 'bad_currency' THEN 'currency'
        WHEN reason = 'negative_amount' THEN 'amount'
        WHEN reason = 'discount_out_of_range' THEN
            CASE WHEN discount < 0 OR discount > amount THEN 'discount' ELSE 'merchant_discount' END
        WHEN reason = 'refund_without_original' THEN 'original_txn_id'
        WHEN reason = 'paid_mismatch' THEN 'paid'
    END AS field,
    CASE WHEN reason IS NULL THEN NULL ELSE CASE reason
        WHEN 'malformed_row' THEN 'not a JSON object'
        WHEN 'missing_field' THEN 'required field is empty'
        WHEN 'bad_timestamp' THEN
            CASE WHEN ts IS NULL THEN 'not an ISO 8601 timestamp: ' || coalesce({{text:ts_given}}, '')
                 ELSE 'outside the years 1900 to 2199: ' || coalesce({{text:ts_given}}, '') END
        WHEN 'bad_text' THEN 'an id holds a control character (NUL, tab, line break...)'
        WHEN 'bad_money' THEN 'not an exact amount in cents (a digit beyond the cent that is not 0, or not a number): '
            || coalesce(CASE WHEN amount IS NULL THEN {{text:amount_given}}
                             WHEN discount IS NULL THEN {{text:discount_given}}
                             WHEN has_paid AND paid IS NULL THEN {{text:paid_given}}
                             ELSE {{text:merchant_discount_given}} END, '')
        WHEN 'bad_type' THEN 'type must be payment or refund, got ' || type
        WHEN 'bad_currency' THEN 'currency must be a three-letter code (ISO 4217), got ' || currency
        WHEN 'negative_amount' THEN 'amount is negative: ' || CAST(amount AS VARCHAR)
        WHEN 'discount_out_of_range' THEN 'discount ' || CAST(discount AS VARCHAR)
            || coalesce(' (merchant-funded ' || CAST(merchant_discount AS VARCHAR) || ')', '')
            || ' is not between 0 and the amount ' || CAST(amount AS VARCHAR)
        WHEN 'refund_without_original' THEN 'a refund must name the payment it refunds'
        WHEN 'paid_mismatch' THEN 'paid ' || CAST(paid AS VARCHAR) || ' is not amount - discount'
            || CASE WHEN merchant_discount IS NOT NULL THEN ' - merchant_discount' ELSE '' END || ' = '
            || CAST(CAST(amount - discount - coalesce(merchant_discount, 0) AS DECIMAL(18,2)) AS VARCHAR)
    END END AS message,
    CASE WHEN reason IS NOT NULL THEN {{raw}} END AS raw
FROM checked
);
