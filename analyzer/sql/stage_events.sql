-- Parse and validate one events file (alerts, acknowledgements, statements, scam reports...).
-- Reads _stage_raw; writes temp table _stage, one row per data row. event_id is the md5 of
-- the content, so the same event delivered twice collapses as an exact duplicate.
CREATE OR REPLACE TEMP TABLE _stage AS
WITH typed AS (
    SELECT
        _line, _malformed, _raw, _ts_naive,
        NULLIF(trim(CAST(ts AS VARCHAR)), '')       AS ts_text,
        TRY_CAST(ts AS TIMESTAMPTZ)                 AS ts,
        NULLIF(trim(CAST(source AS VARCHAR)), '')   AS source,
        lower(NULLIF(trim(CAST(kind AS VARCHAR)), '')) AS kind,
        NULLIF(trim(CAST(title AS VARCHAR)), '')    AS title,
        NULLIF(trim(CAST(detail AS VARCHAR)), '')   AS detail,
        lower(NULLIF(trim(CAST(severity AS VARCHAR)), '')) AS severity
    FROM _stage_raw
), checked AS (
    SELECT *,
        CASE
            WHEN _malformed THEN 'malformed_row'
            WHEN ts_text IS NULL THEN 'missing_field'
            WHEN ts IS NULL THEN 'bad_timestamp'
        END AS reason
    FROM typed
)
SELECT
    _line, _ts_naive,
    md5(concat_ws(chr(31), CAST(epoch_us(ts) AS VARCHAR), coalesce(source, ''), coalesce(kind, ''),
        coalesce(title, ''), coalesce(detail, ''), coalesce(severity, ''))) AS event_id,
    ts, source, kind, title, detail, severity,
    reason,
    CASE WHEN reason IN ('missing_field', 'bad_timestamp') THEN 'ts' END AS field,
    CASE reason
        WHEN 'malformed_row' THEN 'not a JSON object'
        WHEN 'missing_field' THEN 'required field is empty'
        WHEN 'bad_timestamp' THEN 'not an ISO 8601 timestamp: ' || ts_text
    END AS message,
    CASE WHEN reason IS NOT NULL THEN _raw END AS raw
FROM checked;
