-- Drop the scratch space of a replay (guardrails/setup.sql).
DROP TABLE IF EXISTS _guardrail_verdicts;
DROP TABLE IF EXISTS _guardrail_changes;
