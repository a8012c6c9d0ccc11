-- The small per-dialect layer of the analysis in Spark SQL: the functions of
-- analyzer/sql/analysis/functions.sql (DuckDB's, which says what each means), with the same
-- names and results, as temporary SQL functions (Spark inlines them into the plan).
-- No backslash in a text literal: Spark would unescape it, DuckDB not (tests/test_dialects.py).

CREATE OR REPLACE TEMPORARY FUNCTION value_text(x DECIMAL(18,4)) RETURNS STRING RETURN
    CASE WHEN x = round(x, 2) THEN CAST(CAST(x AS DECIMAL(18,2)) AS STRING) ELSE trim(TRAILING '0' FROM CAST(x AS STRING)) END;

CREATE OR REPLACE TEMPORARY FUNCTION field_diff(has_previous BOOLEAN, name STRING, before STRING, after STRING)
    RETURNS STRUCT<field: STRING, before: STRING, after: STRING>
    RETURN CASE WHEN has_previous AND before IS DISTINCT FROM after
                THEN named_struct('field', name, 'before', before, 'after', after) END;

-- (no lambda: Spark takes no SQL function inside the list a higher-order function reads)
CREATE OR REPLACE TEMPORARY FUNCTION changed_fields(diffs ARRAY<STRUCT<field: STRING, before: STRING, after: STRING>>)
    RETURNS ARRAY<STRUCT<field: STRING, before: STRING, after: STRING>>
    RETURN array_compact(diffs);

CREATE OR REPLACE TEMPORARY FUNCTION config_key(dtype STRING, dvalue DECIMAL(18,4), cap DECIMAL(18,2),
    min_amt DECIMAL(18,2), scenes ARRAY<STRING>, enabled BOOLEAN)
    RETURNS STRUCT<discount_type: STRING, discount_value: DECIMAL(18,4), max_discount: DECIMAL(18,2),
                   min_amount: DECIMAL(18,2), scenes: ARRAY<STRING>, enabled: BOOLEAN>
    RETURN named_struct('discount_type', dtype, 'discount_value', dvalue, 'max_discount', cap,
                        'min_amount', min_amt, 'scenes', array_sort(scenes), 'enabled', enabled);

CREATE OR REPLACE TEMPORARY FUNCTION diff_fields_text(diffs ARRAY<STRUCT<field: STRING, before: STRING, after: STRING>>)
    RETURNS STRING RETURN array_join(transform(diffs, d -> d.field), ', ');
CREATE OR REPLACE TEMPORARY FUNCTION diff_text(diffs ARRAY<STRUCT<field: STRING, before: STRING, after: STRING>>)
    RETURNS STRING RETURN array_join(transform(diffs,
        d -> d.field || ': ' || coalesce(d.before, 'null') || ' -> ' || coalesce(d.after, 'null')), '; ');

CREATE OR REPLACE TEMPORARY FUNCTION trim_each(texts ARRAY<STRING>) RETURNS ARRAY<STRING>
    RETURN transform(texts, t -> trim(t));

-- DuckDB's builtin of the same name: whole milliseconds since the epoch
CREATE OR REPLACE TEMPORARY FUNCTION epoch_ms(t TIMESTAMP) RETURNS BIGINT RETURN unix_millis(t);

-- (DuckDB divides the milliseconds by a DECIMAL 1000.0 into a DOUBLE; Spark would keep a DECIMAL)
CREATE OR REPLACE TEMPORARY FUNCTION seconds_between(a TIMESTAMP, b TIMESTAMP) RETURNS DOUBLE
    RETURN round(CAST(unix_millis(b) - unix_millis(a) AS DOUBLE) / 1000, 3);

-- DuckDB's text of a non-negative interval, from its microseconds: 'N days' (or '1 day'), then
-- HH:MM:SS unless the interval is whole days, the fraction without trailing zeros.
CREATE OR REPLACE TEMPORARY FUNCTION micros_text(us BIGINT) RETURNS STRING RETURN
    concat_ws(' ',
        CASE WHEN us DIV 86400000000 = 1 THEN '1 day'
             WHEN us DIV 86400000000 > 1 THEN CAST(us DIV 86400000000 AS STRING) || ' days' END,
        CASE WHEN us DIV 86400000000 = 0 OR us % 86400000000 <> 0 THEN
            format_string('%02d:%02d:%02d', (us % 86400000000) DIV 3600000000, (us % 3600000000) DIV 60000000,
                          (us % 60000000) DIV 1000000)
            || CASE WHEN us % 1000000 <> 0 THEN '.' || trim(TRAILING '0' FROM format_string('%06d', us % 1000000)) ELSE '' END
        END);
CREATE OR REPLACE TEMPORARY FUNCTION interval_text(a TIMESTAMP, b TIMESTAMP) RETURNS STRING
    RETURN micros_text(unix_micros(a) - unix_micros(b));
