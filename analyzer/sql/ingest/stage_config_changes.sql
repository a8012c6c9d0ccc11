-- Parse and validate one config-change log.
-- Reads _stage_raw; writes the temp table _stage_rows, one row per change. A change is of an
-- `object` (a campaign, a flag in an environment, a namespace, a ConfigMap) with its raw
-- configuration after (config_raw) and before (previous_raw); a change of a campaign
-- (campaign_id given: the canonical log, or an object mapped by [[campaigns]]) also has its
-- `config` in the discount model, read field by field as text and cast to DECIMAL, so "0.50" and
-- 0.50 are the same exact value. A change of any other object is loaded as context, never priced.
-- _model_error / _model_field: a mapped change whose raw config lacks a model field
-- (analyzer/ingest/campaigns.py) is quarantined with the field named.
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
        NULLIF(trim(CAST(change_id AS VARCHAR)), '')   AS change_id,
        NULLIF(trim(CAST(ts AS VARCHAR)), '')          AS ts_text,
        {{instant:ts}}                                 AS ts,
        NULLIF(trim(CAST(campaign_id AS VARCHAR)), '') AS campaign_id,
        NULLIF(trim(CAST(actor AS VARCHAR)), '')       AS actor,
        NULLIF(trim(CAST(approver AS VARCHAR)), '')    AS approver,
        NULLIF(trim(CAST(ticket AS VARCHAR)), '')      AS ticket,
        lower(NULLIF(trim(CAST(action AS VARCHAR)), '')) AS action,
        NULLIF(trim(CAST(version AS VARCHAR)), '')     AS version,
        NULLIF(trim(CAST(config AS VARCHAR)), '')      AS config,
        coalesce(NULLIF(trim(CAST(object AS VARCHAR)), ''), NULLIF(trim(CAST(campaign_id AS VARCHAR)), '')) AS object,
        coalesce(NULLIF(trim(CAST(config_raw AS VARCHAR)), ''), NULLIF(trim(CAST(config AS VARCHAR)), '')) AS config_raw,
        NULLIF(trim(CAST(previous_raw AS VARCHAR)), '') AS previous_raw,
        coalesce(NULLIF(trim(CAST(source_format AS VARCHAR)), ''), 'canonical') AS source_format,
        TRY_CAST(NULLIF(trim(CAST(seq AS VARCHAR)), '') AS BIGINT) AS seq,
        NULLIF(trim(CAST(seq AS VARCHAR)), '') AS seq_text,
        _model_error, _model_field
    FROM _stage_raw
), doc AS (
    SELECT *,
        CASE WHEN json_valid(config) THEN json_type(config) = 'OBJECT' ELSE false END AS config_ok
    FROM typed
), fields AS (
    SELECT *,
        CASE WHEN config_ok AND campaign_id IS NOT NULL THEN coalesce(lower(json_extract_string(config, '$.discount_type')), 'none') END AS discount_type,
        CASE WHEN config_ok THEN json_extract_string(config, '$.discount_value') END AS value_text,
        CASE WHEN config_ok THEN json_extract_string(config, '$.max_discount') END AS cap_text,
        CASE WHEN config_ok THEN json_extract_string(config, '$.min_amount') END AS min_text,
        CASE WHEN config_ok THEN
            -- absent or null: every scene (CASE x WHEN NULL never matches: coalesce first)
            CASE coalesce(json_type(config, '$.scenes'), 'NULL')
                WHEN 'ARRAY' THEN CAST(json_extract_string(config, '$.scenes[*]') AS VARCHAR[])
                WHEN 'VARCHAR' THEN [json_extract_string(config, '$.scenes')]
                WHEN 'NULL' THEN ['*']
            END END AS scenes,
        CASE WHEN config_ok THEN lower(coalesce(json_extract_string(config, '$.enabled'), 'true')) END AS enabled_text
    FROM doc
), numbers AS (
    SELECT *,
        TRY_CAST(coalesce(value_text, '0') AS DECIMAL(38,6)) AS value_x,
        TRY_CAST(cap_text AS DECIMAL(38,6)) AS cap_x,
        TRY_CAST(min_text AS DECIMAL(38,6)) AS min_x
    FROM fields
), checked AS (
    SELECT *,
        CASE
            WHEN _malformed THEN 'malformed_row'
            WHEN change_id IS NULL OR ts_text IS NULL OR version IS NULL OR object IS NULL THEN 'missing_field'
            WHEN ts IS NULL OR ts < TIMESTAMPTZ '1900-01-01 00:00:00+00' OR ts >= TIMESTAMPTZ '2200-01-01 00:00:00+00' THEN 'bad_timestamp'
            WHEN seq_text IS NOT NULL AND seq IS NULL THEN 'bad_type'
            WHEN _model_error IS NOT NULL THEN 'bad_config'
            WHEN campaign_id IS NULL THEN NULL
            WHEN config IS NULL THEN 'missing_field'
            WHEN NOT config_ok THEN 'bad_config'
            WHEN discount_type NOT IN ('none', 'fixed', 'percent') THEN 'bad_config'
            WHEN value_x IS NULL OR value_x < 0 OR value_x <> round(value_x, 4) THEN 'bad_config'
            WHEN cap_text IS NOT NULL AND (cap_x IS NULL OR cap_x < 0 OR cap_x <> round(cap_x, 2)) THEN 'bad_config'
            WHEN min_text IS NOT NULL AND (min_x IS NULL OR min_x < 0 OR min_x <> round(min_x, 2)) THEN 'bad_config'
            WHEN scenes IS NULL THEN 'bad_config'
            WHEN enabled_text NOT IN ('true', 'false', '1', '0') THEN 'bad_config'
        END AS reason
    FROM numbers
)
SELECT
    _line, _ts_naive, change_id, ts, campaign_id, actor, approver, ticket,
    coalesce(action, 'update') AS action, version, CASE WHEN campaign_id IS NOT NULL THEN config END AS config,
    discount_type,
    CASE WHEN campaign_id IS NOT NULL THEN CAST(value_x AS DECIMAL(18,4)) END AS discount_value,
    CAST(cap_x AS DECIMAL(18,2)) AS max_discount,
    CAST(min_x AS DECIMAL(18,2)) AS min_amount,
    CASE WHEN campaign_id IS NOT NULL THEN scenes END AS scenes,
    CASE WHEN campaign_id IS NOT NULL THEN enabled_text IN ('true', '1') END AS enabled,
    object, config_raw, previous_raw, source_format, seq,
    reason,
    CASE
        WHEN reason = 'missing_field' THEN
            CASE WHEN change_id IS NULL THEN 'change_id' WHEN ts_text IS NULL THEN 'ts'
                 WHEN version IS NULL THEN 'version' WHEN object IS NULL THEN 'campaign_id'
                 ELSE 'config' END
        WHEN reason = 'bad_timestamp' THEN 'ts'
        WHEN reason = 'bad_type' THEN 'seq'
        WHEN reason = 'bad_config' THEN coalesce(_model_field, 'config')
    END AS field,
    CASE reason
        WHEN 'malformed_row' THEN 'not a JSON object'
        WHEN 'missing_field' THEN 'required field is empty'
        WHEN 'bad_timestamp' THEN 'not an ISO 8601 timestamp in the years 1900 to 2199: ' || ts_text
        WHEN 'bad_type' THEN 'seq must be a whole number, got ' || seq_text
        WHEN 'bad_config' THEN coalesce('campaign ' || campaign_id || ': ' || _model_error,
            'config is not a valid discount config (discount_type none|fixed|percent, '
            || 'exact non-negative discount_value, max_discount, min_amount; scenes a list): ' || coalesce(config, ''))
    END AS message,
    CASE WHEN reason IS NOT NULL THEN {{raw}} END AS raw
FROM checked;
