-- The small per-dialect layer of the analysis: the few functions whose body DuckDB and Spark
-- spell differently (lambdas, struct literals, intervals), with the same name and meaning in
-- both. This is DuckDB's (temporary macros, analyze's connection only); Spark's is
-- analyzer/sql/spark/analysis/functions.sql. Every other construct is written in the forms
-- both engines accept, or is a dialect template (analyzer/sql.py DIALECTS).

-- A discount value as people write it: two decimals ("0.50", "20.00"), more only when needed.
CREATE OR REPLACE TEMP MACRO value_text(x) AS
    CASE WHEN x = round(x, 2) THEN CAST(CAST(x AS DECIMAL(18,2)) AS STRING) ELSE trim(TRAILING '0' FROM CAST(x AS STRING)) END;

-- One field of a version's diff against the one before it; NULL when it did not change (or
-- there is no version before).
CREATE OR REPLACE TEMP MACRO field_diff(has_previous, name, before, after) AS
    CASE WHEN has_previous AND before IS DISTINCT FROM after THEN {'field': name, 'before': before, 'after': after} END;

-- The fields of a diff that changed: the list less its NULLs.
CREATE OR REPLACE TEMP MACRO changed_fields(diffs) AS list_filter(diffs, lambda d: d IS NOT NULL);

-- The discount model's fields as one comparable value (scenes sorted): two versions with the
-- same key give every payment the same discount.
CREATE OR REPLACE TEMP MACRO config_key(dtype, dvalue, cap, min_amt, scenes, enabled) AS
    {'discount_type': dtype, 'discount_value': dvalue, 'max_discount': cap,
     'min_amount': min_amt, 'scenes': array_sort(scenes), 'enabled': enabled};

-- A diff as text: its field names ("discount_type, scenes") and its changes
-- ("discount_type: fixed -> percent; ...").
CREATE OR REPLACE TEMP MACRO diff_fields_text(diffs) AS
    array_to_string(list_transform(diffs, lambda d: d.field), ', ');
CREATE OR REPLACE TEMP MACRO diff_text(diffs) AS
    array_to_string(list_transform(diffs,
        lambda d: d.field || ': ' || coalesce(d.before, 'null') || ' -> ' || coalesce(d.after, 'null')), '; ');

-- Every text of a list, trimmed of spaces.
CREATE OR REPLACE TEMP MACRO trim_each(texts) AS list_transform(texts, lambda t: trim(t));

-- Seconds from instant a to instant b (DOUBLE, millisecond precision: a duration, not money).
CREATE OR REPLACE TEMP MACRO seconds_between(a, b) AS round((epoch_ms(b) - epoch_ms(a)) / 1000.0, 3);

-- The interval from instant b to instant a as DuckDB prints it ('00:03:12.5', '2 days 00:03:12').
CREATE OR REPLACE TEMP MACRO interval_text(a, b) AS CAST(a - b AS STRING);
