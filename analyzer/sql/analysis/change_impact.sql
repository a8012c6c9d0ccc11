-- change_impact: every config change ranked by how likely it caused the incident, with evidence.
-- For each change c (with the version p before it), over the payments of c's campaign priced
-- while c was live and explained by c (the logged config_version is c's, or c's config
-- reproduces the logged discount; payments from nodes still on an older version are lag and
-- are left out): excess_introduced = sum(discount - apply(p)). The per-payment work is done
-- once, in payment_groups.sql (shared with minute_metrics); here it is summed per change.
-- The same statement on DuckDB and on Spark (interval_text: functions.sql of each dialect).
-- Parameters: $campaigns (VARCHAR[]; empty = all campaigns).
-- Grain: one row per config change.
CREATE OR REPLACE TABLE change_impact AS
WITH pairs AS (
    SELECT * FROM config_versions
    WHERE cardinality($campaigns) = 0 OR array_contains($campaigns, campaign_id)
), per_change AS (
    SELECT change_id,
           CAST(sum(payments) AS BIGINT) AS payments_live,
           CAST(sum(payments_priced) AS BIGINT) AS payments_priced,
           coalesce(sum(excess_introduced), 0) AS excess_introduced,
           CAST(sum(payments_over) AS BIGINT) AS payments_over,
           CAST(sum(payments_under) AS BIGINT) AS payments_under
    FROM payment_groups
    WHERE change_id IS NOT NULL
    GROUP BY change_id
), restored AS (
    -- the first later change of the campaign that brings back the previous version's pricing
    SELECT v.change_id, min_by(r.change_id, r.version_seq) AS reverted_by_change_id,
           min(r.valid_from) - v.valid_from AS reverted_after,
           interval_text(min(r.valid_from), v.valid_from) AS reverted_after_text
    FROM pairs v
    JOIN config_versions r ON r.campaign_id = v.campaign_id AND r.version_seq > v.version_seq
    WHERE v.prev_change_id IS NOT NULL AND r.config_key = v.prev_config_key
    GROUP BY v.change_id, v.valid_from
), scored AS (
    SELECT v.campaign_id, v.change_id, v.version, v.prev_version, v.valid_from AS ts, v.actor, v.approver, v.ticket, v.action,
           v.diff, v.type_changed, v.value_changed, v.cap_removed, v.scenes_widened_to_all, v.min_removed,
           v.approver IS NOT NULL AS approver_present,
           coalesce(i.payments_live, 0) AS payments_live,
           coalesce(i.payments_priced, 0) AS payments_priced,
           coalesce(i.payments_over, 0) AS payments_over,
           coalesce(i.payments_under, 0) AS payments_under,
           CAST(coalesce(i.excess_introduced, 0) AS DECIMAL(18,2)) AS excess_introduced,
           r.reverted_by_change_id, r.reverted_after, r.reverted_after_text,
           v.prev_change_id IS NULL AS is_first_version
    FROM pairs v
    LEFT JOIN per_change i USING (change_id)
    LEFT JOIN restored r USING (change_id)
)
SELECT
    CAST(row_number() OVER (ORDER BY score DESC, excess_introduced DESC, ts, change_id) AS BIGINT) AS rank,
    campaign_id, change_id, version, prev_version, ts, actor, approver, ticket, action, diff, type_changed,
    value_changed, cap_removed, scenes_widened_to_all, min_removed, approver_present, payments_live,
    payments_priced, payments_over, payments_under, excess_introduced, reverted_by_change_id, reverted_after,
    is_first_version, score, evidence
FROM (
    SELECT *,
        -- Money first; the risk signals multiply it. A first version has nothing to compare to.
        CASE WHEN is_first_version OR excess_introduced <= 0 THEN 0.0
             ELSE CAST(excess_introduced AS DOUBLE) * (1
                + 0.50 * CAST(NOT approver_present AS INTEGER)
                + 0.50 * CAST(coalesce(reverted_after < INTERVAL 1 HOUR, false) AS INTEGER)
                + 0.25 * CAST(type_changed AS INTEGER)
                + 0.25 * CAST(cap_removed AS INTEGER)
                + 0.25 * CAST(scenes_widened_to_all AS INTEGER))
        END AS score,
        concat_ws('; ',
            CASE WHEN is_first_version THEN 'first version of the campaign: nothing to compare to' END,
            CASE WHEN NOT is_first_version THEN 'excess introduced against ' || coalesce(prev_version, '?') || ': '
                 || CAST(excess_introduced AS STRING) || ' over ' || payments_over || ' over-discounted payments' END,
            CASE WHEN type_changed THEN 'discount type changed' END,
            CASE WHEN value_changed THEN 'discount value changed' END,
            CASE WHEN cap_removed THEN 'cap removed' END,
            CASE WHEN scenes_widened_to_all THEN 'scenes widened to all' END,
            CASE WHEN min_removed THEN 'minimum amount removed' END,
            CASE WHEN NOT approver_present THEN 'no approver' END,
            CASE WHEN reverted_after IS NOT NULL THEN 'reverted by ' || reverted_by_change_id || ' after ' || reverted_after_text END
        ) AS evidence
    FROM scored
)
ORDER BY rank;
