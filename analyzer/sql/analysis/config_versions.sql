-- config_versions: every version of every campaign's config, with its validity interval
-- [valid_from, valid_to) built with LEAD() (valid_to NULL = still live; valid_until is the
-- same with +infinity, for interval joins), the version before it (prev_*: the one place that
-- pairs a version with its predecessor) and a field-by-field diff against it.
-- config_key is the discount model's fields as one comparable value (scenes sorted): two
-- versions with the same key give every payment the same discount.
-- The same statement on DuckDB and on Spark (value_text, field_diff, changed_fields, config_key:
-- functions.sql of each dialect; {{forever}}: the open end, 'infinity' where the engine has it).
-- Grain: one row per config change (change_id).
CREATE OR REPLACE TABLE config_versions AS
WITH ordered AS (
    SELECT
        c.*,
        CAST(row_number() OVER w AS BIGINT) AS version_seq,
        lead(ts) OVER w AS valid_to,
        lag(change_id) OVER w AS prev_change_id,
        lag(version) OVER w AS prev_version,
        lag(config) OVER w AS prev_config,
        lag(discount_type) OVER w AS prev_discount_type,
        lag(discount_value) OVER w AS prev_discount_value,
        lag(max_discount) OVER w AS prev_max_discount,
        lag(min_amount) OVER w AS prev_min_amount,
        lag(scenes) OVER w AS prev_scenes,
        lag(enabled) OVER w AS prev_enabled
    FROM config_changes c
    WHERE c.campaign_id IS NOT NULL  -- changes of other objects are context, never priced
    WINDOW w AS (PARTITION BY campaign_id ORDER BY ts, seq NULLS FIRST, change_id)
), texts AS (
    -- (a column of its own: Spark takes no higher-order function, array_sort, in a SQL function's arguments)
    SELECT *, {{array_join}}(array_sort(scenes), ',') AS scenes_text,
           {{array_join}}(array_sort(prev_scenes), ',') AS prev_scenes_text
    FROM ordered
), compared AS (
    -- every field against the version before (NULL: unchanged)
    SELECT *, {{list}}(
        field_diff(prev_change_id IS NOT NULL, 'discount_type', prev_discount_type, discount_type),
        field_diff(prev_change_id IS NOT NULL, 'discount_value', value_text(prev_discount_value), value_text(discount_value)),
        field_diff(prev_change_id IS NOT NULL, 'max_discount', CAST(prev_max_discount AS STRING), CAST(max_discount AS STRING)),
        field_diff(prev_change_id IS NOT NULL, 'min_amount', CAST(prev_min_amount AS STRING), CAST(min_amount AS STRING)),
        field_diff(prev_change_id IS NOT NULL, 'scenes', prev_scenes_text, scenes_text),
        field_diff(prev_change_id IS NOT NULL, 'enabled', CAST(prev_enabled AS STRING), CAST(enabled AS STRING))
    ) AS fields
    FROM texts
)
SELECT
    campaign_id, version_seq, version, change_id, ts AS valid_from, valid_to,
    coalesce(valid_to, {{forever}}) AS valid_until,
    actor, approver, ticket, action, config,
    discount_type, discount_value, max_discount, min_amount, scenes, enabled,
    prev_change_id, prev_version, prev_config,
    prev_discount_type, prev_discount_value, prev_max_discount, prev_min_amount, prev_scenes, prev_enabled,
    config_key(discount_type, discount_value, max_discount, min_amount, scenes, enabled) AS config_key,
    CASE WHEN prev_change_id IS NOT NULL THEN
        config_key(prev_discount_type, prev_discount_value, prev_max_discount, prev_min_amount, prev_scenes, prev_enabled)
    END AS prev_config_key,
    changed_fields(fields) AS diff,
    prev_change_id IS NOT NULL AND prev_discount_type IS DISTINCT FROM discount_type AS type_changed,
    prev_change_id IS NOT NULL AND prev_discount_value IS DISTINCT FROM discount_value AS value_changed,
    prev_change_id IS NOT NULL AND prev_max_discount IS NOT NULL AND max_discount IS NULL AS cap_removed,
    prev_change_id IS NOT NULL AND NOT array_contains(prev_scenes, '*') AND array_contains(scenes, '*') AS scenes_widened_to_all,
    prev_change_id IS NOT NULL AND prev_min_amount IS NOT NULL AND min_amount IS NULL AS min_removed
FROM compared;
