-- A campaign's history before a proposed change (as of its instant, the change itself left
-- out): what `analyzer lint-change` compares the proposal with.
-- Parameters: $campaign_id, $change_id, $ts. Grain: one row.
SELECT count(*) AS versions,
       coalesce(bool_or(discount_type = 'percent'), false) AS had_percent,
       coalesce(bool_or(discount_type = 'fixed'), false) AS had_fixed,
       max(discount_value) FILTER (discount_type = 'percent') AS max_percent,
       max(discount_value) FILTER (discount_type = 'fixed') AS max_fixed,
       max(max_discount) FILTER (discount_type = 'percent') AS max_cap,
       coalesce(bool_or(discount_type = 'percent' AND max_discount IS NULL), false) AS had_uncapped_percent,
       coalesce(bool_or(list_contains(scenes, '*')), false) AS had_every_scene,
       list_sort(list_distinct(flatten(list(scenes)))) AS scenes_seen
FROM config_versions
WHERE campaign_id = $campaign_id AND valid_from < CAST($ts AS TIMESTAMPTZ) AND change_id <> $change_id
