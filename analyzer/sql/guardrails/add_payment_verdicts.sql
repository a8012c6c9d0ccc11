-- Keep one payment or rate rule's verdicts ({{verdicts}}: its rules/<kind>.sql) under its number.
-- A rule limited to some campaigns ($rule_campaigns, empty = every analysed one) leaves the
-- others' payments and trips alone.
-- Parameters: $rule, $rule_campaigns (VARCHAR[]), and the rule's own.
INSERT INTO _guardrail_verdicts
SELECT $rule, txn_id, campaign_id, limit_amount, tripped_at, elsewhere
FROM (
{{verdicts}}
)
WHERE len($rule_campaigns) = 0 OR list_contains($rule_campaigns, campaign_id)
