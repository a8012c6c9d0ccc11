-- Drop the scratch space of a replay (guardrails/setup.sql).
DROP TABLE IF EXISTS _guardrail_verdicts;
DROP TABLE IF EXISTS _guardrail_changes;
DROP TABLE IF EXISTS temp.priced_transactions;  -- replay_priced.sql (a replay's; lint makes none)
