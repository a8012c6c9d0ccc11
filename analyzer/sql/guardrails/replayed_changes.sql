-- The changes a replay judges: every version of the analysed campaigns (config_versions'
-- columns; the {{changes}} of a change rule).
-- Parameters: $campaigns (VARCHAR[]).
SELECT * FROM config_versions WHERE list_contains($campaigns, campaign_id)
