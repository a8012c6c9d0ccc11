-- The scratch space of one replay, on the reader's own connection (temporary objects: the
-- database itself is never written, and may be open read-only).
--   _guardrail_verdicts  every payment and rate rule's verdicts (rules/<kind>.sql), by rule number
--   _guardrail_changes   every change rule's verdicts
--   number_text / ratio_text  how change rules write values in their clauses ("0.50", "20.00"; "5")
CREATE OR REPLACE TEMP TABLE _guardrail_verdicts (
    rule INTEGER NOT NULL, txn_id VARCHAR, campaign_id VARCHAR, limit_amount DECIMAL(18,2),
    tripped_at TIMESTAMPTZ, elsewhere BOOLEAN);
CREATE OR REPLACE TEMP TABLE _guardrail_changes (
    rule INTEGER NOT NULL, change_id VARCHAR NOT NULL, campaign_id VARCHAR, valid_from TIMESTAMPTZ,
    held BOOLEAN NOT NULL, clauses VARCHAR[]);
CREATE OR REPLACE TEMP MACRO number_text(x) AS
    CASE WHEN x = round(x, 2) THEN CAST(CAST(x AS DECIMAL(18,2)) AS VARCHAR) ELSE rtrim(CAST(x AS VARCHAR), '0') END;
CREATE OR REPLACE TEMP MACRO ratio_text(x) AS rtrim(rtrim(CAST(x AS VARCHAR), '0'), '.');
