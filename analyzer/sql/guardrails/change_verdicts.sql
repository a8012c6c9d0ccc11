-- Every change rule's verdicts, in time order per rule. Grain: one row per rule and change.
SELECT rule, change_id, campaign_id, valid_from, held, clauses
FROM _guardrail_changes
ORDER BY rule, valid_from, change_id
