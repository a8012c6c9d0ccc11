-- Record the generation a writer is about to switch in (analyzer/store.py).
-- Parameters: $command, $started_at, $finished_at, $pid.
INSERT INTO db_history
SELECT coalesce(max(generation), 0) + 1, $command, $started_at, $finished_at, $pid FROM db_history;
