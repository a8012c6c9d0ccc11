-- The change_impact ranking: which change introduced the excess, most likely first, with its
-- evidence. reverted_after (an INTERVAL) as text. Parameters: none. Grain: one row per change.
SELECT rank, change_id, campaign_id, ts, actor, approver, ticket, action, prev_version, version,
       excess_introduced, payments_live, payments_priced, payments_over, payments_under,
       type_changed, value_changed, cap_removed, scenes_widened_to_all, min_removed, approver_present,
       reverted_by_change_id, CAST(reverted_after AS VARCHAR) AS reverted_after, score, evidence
FROM change_impact
ORDER BY rank
