-- config_versions: every version of every campaign's config, with its validity interval
-- [valid_from, valid_to) built with LEAD() (valid_to NULL = still live; valid_until is the
-- same with +infinity, for interval joins), the version before it (prev_*: the one place that
-- pairs a version with its predecessor) and a field-by-field diff against it.
-- config_key is the discount model's fields as one comparable value (scenes sorted): two
-- versions with the same key give every payment the same discount.
-- Grain: one row per config change (change_id).
-- A discount value as people write it: two decimals ("0.50", "20.00"), more only when needed.
CREATE OR REPLACE TEMP MACRO value_text(x) AS
    CASE WHEN x = round(x, 2) THEN CAST(CAST(x AS DECIMAL(18,2)) AS VARCHAR) ELSE rtrim(CAST(x AS VARCHAR), '0') END;

CREATE OR REPLACE TABLE config_versions AS
WITH ordered AS (
    SELECT
        c.*,
        row_number() OVER w AS version_seq,
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
)
SELECT
    campaign_id, version_seq, version, change_id, ts AS valid_from, valid_to,
    coalesce(valid_to, TIMESTAMPTZ 'infinity') AS valid_until,
    actor, approver, ticket, action, config,
    discount_type, discount_value, max_discount, min_amount, scenes, enabled,
    prev_change_id, prev_version, prev_config,
    prev_discount_type, prev_discount_value, prev_max_discount, prev_min_amount, prev_scenes, prev_enabled,
    {'discount_type': discount_type, 'discount_value': discount_value, 'max_discount': max_discount,
     'min_amount': min_amount, 'scenes': list_sort(scenes), 'enabled': enabled} AS config_key,
    CASE WHEN prev_change_id IS NOT NULL THEN
        {'discount_type': prev_discount_type, 'discount_value': prev_discount_value, 'max_discount': prev_max_discount,
         'min_amount': prev_min_amount, 'scenes': list_sort(prev_scenes), 'enabled': prev_enabled} END AS prev_config_key,
    list_filter([
        {'field': 'discount_type', 'before': prev_discount_type, 'after': discount_type},
        {'field': 'discount_value', 'before': value_text(prev_discount_value), 'after': value_text(discount_value)},
        {'field': 'max_discount', 'before': CAST(prev_max_discount AS VARCHAR), 'after': CAST(max_discount AS VARCHAR)},
        {'field': 'min_amount', 'before': CAST(prev_min_amount AS VARCHAR), 'after': CAST(min_amount AS VARCHAR)},
        {'field': 'scenes', 'before': array_to_string(list_sort(prev_scenes), ','), 'after': array_to_string(list_sort(scenes), ',')},
        {'field': 'enabled', 'before': CAST(prev_enabled AS VARCHAR), 'after': CAST(enabled AS VARCHAR)}
    ], lambda d: prev_change_id IS NOT NULL AND d.before IS DISTINCT FROM d.after) AS diff,
    prev_change_id IS NOT NULL AND prev_discount_type IS DISTINCT FROM discount_type AS type_changed,
    prev_change_id IS NOT NULL AND prev_discount_value IS DISTINCT FROM discount_value AS value_changed,
    prev_change_id IS NOT NULL AND prev_max_discount IS NOT NULL AND max_discount IS NULL AS cap_removed,
    prev_change_id IS NOT NULL AND NOT list_contains(prev_scenes, '*') AND list_contains(scenes, '*') AS scenes_widened_to_all,
    prev_change_id IS NOT NULL AND prev_min_amount IS NOT NULL AND min_amount IS NULL AS min_removed
FROM ordered;
