-- peak_minute: the minute with the most excess (the timeline's milestone and the summary's
-- figure), from minute_metrics (metrics.sql, on either engine); on DuckDB, for milestones,
-- timeline and incident_summary.
-- Grain: one row (none when nothing is affected).
CREATE OR REPLACE TEMP VIEW peak_minute AS
SELECT minute, campaign_id, excess, affected_txns FROM minute_metrics
WHERE affected_txns > 0 ORDER BY excess DESC, minute LIMIT 1;
