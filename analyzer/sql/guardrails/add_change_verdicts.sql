-- Keep one change rule's verdicts ({{verdicts}}: its rules/<kind>.sql over every version of the
-- analysed campaigns) under its number; a rule limited to some campaigns judges only theirs.
-- Parameters: $rule, $rule_campaigns (VARCHAR[]), and the rule's own.
INSERT INTO _guardrail_changes
SELECT $rule, change_id, campaign_id, valid_from, held, coalesce(clauses, [])
FROM (
{{verdicts}}
)
WHERE len($rule_campaigns) = 0 OR list_contains($rule_campaigns, campaign_id)
