-- scene_allowlist: refuse a config whose scenes go beyond an allow-list (or are every scene).
-- acts on: change
-- param scenes (scenes): the scenes a campaign may discount
-- describe: refuse a config that discounts scenes beyond {scenes}
-- A config that gives no discount (disabled, or discount type none) is never refused: switching a
-- campaign off must always go through.
-- {{changes}}: as for change_approval.
-- Verdicts: one row per change: change_id, campaign_id, valid_from, held (refused), clauses.
-- Parameters: $scenes (VARCHAR[]).
WITH judged AS (
    SELECT change_id, campaign_id, valid_from,
           coalesce(enabled, true) AND coalesce(discount_type, 'none') <> 'none' AS discounts,
           list_contains(scenes, '*') AS every_scene,
           list_sort(list_filter(scenes, lambda s: s <> '*' AND NOT list_contains($scenes, s))) AS beyond
    FROM {{changes}}
)
SELECT change_id, campaign_id, valid_from,
       discounts AND (every_scene OR len(beyond) > 0) AS held,
       CASE WHEN NOT discounts THEN []
            WHEN every_scene THEN ['discounts every scene']
            WHEN len(beyond) > 0 THEN ['discounts scenes beyond the list: ' || array_to_string(beyond, ', ')]
            ELSE [] END AS clauses
FROM judged
