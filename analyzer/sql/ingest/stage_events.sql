-- Parse and validate one events file (alerts, acknowledgements, statements, scam reports...).
-- Reads _stage_raw; writes the temp table _stage_rows, one row per data row. event_id is the md5 of
-- the content, so the same event delivered twice collapses as an exact duplicate.
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
        NULLIF(trim(CAST(ts AS VARCHAR)), '')       AS ts_text,
        {{instant:ts}}                              AS ts,
        NULLIF(trim(CAST(source AS VARCHAR)), '')   AS source,
        lower(NULLIF(trim(CAST(kind AS VARCHAR)), '')) AS kind,
        NULLIF(trim(CAST(title AS VARCHAR)), '')    AS title,
        NULLIF(trim(CAST(detail AS VARCHAR)), '')   AS detail,
        lower(NULLIF(trim(CAST(severity AS VARCHAR)), '')) AS severity,
        NULLIF(trim(CAST(user_id AS VARCHAR)), '')  AS user_id,
        NULLIF(trim(CAST(ref AS VARCHAR)), '')      AS ref
    FROM _stage_raw
), checked AS (
    SELECT *,
        CASE
            WHEN _malformed THEN 'malformed_row'
            WHEN ts_text IS NULL THEN 'missing_field'
            WHEN ts IS NULL OR ts < TIMESTAMPTZ '1900-01-01 00:00:00+00' OR ts >= TIMESTAMPTZ '2200-01-01 00:00:00+00' THEN 'bad_timestamp'
        END AS reason
    FROM typed
)
SELECT
    _line, _ts_naive,
    md5(concat_ws(chr(31), CAST(epoch_us(ts) AS VARCHAR), coalesce(source, ''), coalesce(kind, ''),
        coalesce(title, ''), coalesce(detail, ''), coalesce(severity, ''), coalesce(user_id, ''),
        coalesce(ref, ''))) AS event_id,
    ts, source, kind, title, detail, severity, user_id, ref,
    reason,
    CASE WHEN reason IN ('missing_field', 'bad_timestamp') THEN 'ts' END AS field,
    CASE reason
        WHEN 'malformed_row' THEN 'not a JSON object'
        WHEN 'missing_field' THEN 'required field is empty'
        WHEN 'bad_timestamp' THEN 'not an ISO 8601 timestamp in the years 1900 to 2199: ' || ts_text
    END AS message,
    CASE WHEN reason IS NOT NULL THEN {{raw}} END AS raw
FROM checked;
