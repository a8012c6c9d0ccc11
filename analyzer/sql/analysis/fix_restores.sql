-- The later changes of the bad change's campaign, each flagged when it brings back, field for
-- field, the config from before the bad change (scenes in any order). Such a change gives every
-- payment what that config gives (payments_over = payments_under = 0 in fix_candidates.sql), so
-- when the first later change is one, the fix is known without reading a single payment.
-- Parameters: $campaign_id, $bad_seq (version_seq of the bad change).
-- Grain: one row per later change, in order.
WITH pre AS (
    SELECT * FROM config_versions WHERE campaign_id = $campaign_id AND version_seq = $bad_seq - 1
)
SELECT l.change_id, l.version_seq,
       pre.change_id IS NOT NULL
       AND l.discount_type IS NOT DISTINCT FROM pre.discount_type
       AND l.discount_value IS NOT DISTINCT FROM pre.discount_value
       AND l.max_discount IS NOT DISTINCT FROM pre.max_discount
       AND l.min_amount IS NOT DISTINCT FROM pre.min_amount
       AND list_sort(l.scenes) IS NOT DISTINCT FROM list_sort(pre.scenes)
       AND l.enabled IS NOT DISTINCT FROM pre.enabled AS restores
FROM config_versions l
LEFT JOIN pre ON true
WHERE l.campaign_id = $campaign_id AND l.version_seq > $bad_seq
ORDER BY l.version_seq
