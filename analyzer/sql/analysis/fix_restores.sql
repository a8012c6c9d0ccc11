-- The later changes of the bad change's campaign, each flagged when it brings back, field for
-- field, the config from before the bad change (scenes in any order). Such a change gives every
-- payment what that config gives (payments_over = payments_under = 0 in fix_candidates.sql), so
-- when the first later change is one, the fix is known without reading a single payment.
-- Parameters: $campaign_id, $bad_seq (version_seq of the bad change).
-- Grain: one row per later change, in order.
WITH bad AS (
    SELECT prev_config_key FROM config_versions WHERE campaign_id = $campaign_id AND version_seq = $bad_seq
)
SELECT l.change_id, l.version_seq, coalesce(l.config_key = bad.prev_config_key, false) AS restores
FROM config_versions l
LEFT JOIN bad ON true
WHERE l.campaign_id = $campaign_id AND l.version_seq > $bad_seq
ORDER BY l.version_seq
