-- The priced payments a replay reads, copied once into a temporary table of the reader's
-- connection (the database is never written): the analysis's priced_transactions is a view that
-- prices its ordinary payments when read (analysis/priced_transactions.sql), and a replay reads
-- it once per rule and once per size of rule set. The copy shadows the view on this connection
-- until teardown.sql drops it; only the columns the rules and rule_sets.sql read.
-- Grain: one row per priced payment.
CREATE OR REPLACE TEMP TABLE priced_transactions AS
SELECT txn_id, ts, user_id, campaign_id, scene, amount, discount, expected, excess, in_bad_period, priced_by_bad_version
FROM priced_transactions;
