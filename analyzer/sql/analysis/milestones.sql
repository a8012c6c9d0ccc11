-- milestones: the instants an incident review asks for, in their expected order, with the time
-- from the impact start and an order check against the milestones that must come first (a
-- milestone before one of its predecessors is flagged, as incident.io validates its timestamps).
--   bad_change      the bad change goes live in the config console
--   impact_start    the first affected payment
--   detected        the first alert (event kind 'alert') at or after the bad change
--   acknowledged    the first acknowledgement (kind 'ack', 'acknowledgement', 'acknowledged')
--   declared        the first 'incident' event (also 'declared', 'declaration'): the incident is declared
--   mitigated       the fix change goes live
--   last_affected   the last affected payment (pricing nodes lag behind the console)
--   resolved        the first 'resolved' / 'resolution' event
--   communicated    the first 'statement' / 'communication' event (the official statement)
-- Events count only from the bad change on (an alert of last week detected nothing of this).
-- Durations in seconds (DOUBLE, millisecond precision; not money). A missing milestone has ts
-- NULL, is never flagged, and its successors are checked against the predecessors they have.
-- Parameters: $bad_change_id, $fix_change_id (may be NULL).
-- Grain: one row per milestone (nine rows, position 1..9).
CREATE OR REPLACE TABLE milestones AS
WITH bad AS (
    SELECT valid_from FROM config_versions WHERE change_id = $bad_change_id
), fix AS (
    SELECT valid_from, change_id FROM config_versions WHERE change_id = $fix_change_id
), aff AS (
    SELECT min(ts) AS first_at, arg_min(txn_id, (ts, txn_id)) AS first_txn,
           max(ts) AS last_at, arg_max(txn_id, (ts, txn_id)) AS last_txn
    FROM affected_transactions
), ev AS (
    SELECT e.event_id, e.ts, e.title,
           CASE WHEN e.kind = 'alert' THEN 'detected'
                WHEN e.kind IN ('ack', 'acknowledgement', 'acknowledged') THEN 'acknowledged'
                WHEN e.kind IN ('incident', 'declared', 'declaration') THEN 'declared'
                WHEN e.kind IN ('resolved', 'resolution') THEN 'resolved'
                WHEN e.kind IN ('statement', 'communication') THEN 'communicated'
           END AS milestone
    FROM events e, bad
    WHERE e.ts >= bad.valid_from
), firsts AS (
    SELECT milestone, min(ts) AS ts, arg_min(event_id, (ts, event_id)) AS ref_id, arg_min(title, (ts, event_id)) AS title
    FROM ev WHERE milestone IS NOT NULL
    GROUP BY milestone
), defined AS (
    SELECT * FROM (VALUES
        (1, 'bad_change', 'Bad change live', []::VARCHAR[]),
        (2, 'impact_start', 'Impact start (first affected payment)', ['bad_change']),
        (3, 'detected', 'Detection (first alert)', ['impact_start']),
        (4, 'acknowledged', 'Acknowledgement', ['detected']),
        (5, 'declared', 'Declaration (incident opened)', ['detected']),
        (6, 'mitigated', 'Mitigation (fix change live)', ['impact_start']),
        (7, 'last_affected', 'Last affected payment', ['impact_start']),
        (8, 'resolved', 'Resolution', ['mitigated', 'last_affected', 'declared']),
        (9, 'communicated', 'Communication (official statement)', ['declared'])
    ) AS d(position, milestone, label, predecessors)
), found AS (
    SELECT d.position, d.milestone, d.label, d.predecessors,
           CASE d.milestone
               WHEN 'bad_change' THEN (SELECT valid_from FROM bad)
               WHEN 'impact_start' THEN (SELECT first_at FROM aff)
               WHEN 'mitigated' THEN (SELECT valid_from FROM fix)
               WHEN 'last_affected' THEN (SELECT last_at FROM aff)
               ELSE f.ts
           END AS ts,
           CASE d.milestone
               WHEN 'bad_change' THEN 'config_changes'
               WHEN 'mitigated' THEN 'config_changes'
               WHEN 'impact_start' THEN 'analysis'
               WHEN 'last_affected' THEN 'analysis'
               ELSE 'events'
           END AS source,
           CASE d.milestone
               WHEN 'bad_change' THEN $bad_change_id
               WHEN 'impact_start' THEN (SELECT first_txn FROM aff)
               WHEN 'mitigated' THEN (SELECT change_id FROM fix)
               WHEN 'last_affected' THEN (SELECT last_txn FROM aff)
               ELSE f.ref_id
           END AS ref_id,
           f.title AS event_title
    FROM defined d
    LEFT JOIN firsts f USING (milestone)
), checked AS (
    SELECT m.position,
           list(p.milestone ORDER BY p.position) FILTER (m.ts < p.ts) AS before,
           list(p.label ORDER BY p.position) FILTER (m.ts < p.ts) AS before_labels
    FROM found m
    JOIN found p ON list_contains(m.predecessors, p.milestone)
    WHERE m.ts IS NOT NULL AND p.ts IS NOT NULL
    GROUP BY m.position
)
SELECT f.position, f.milestone, f.label, f.ts, f.source, f.ref_id, f.event_title, f.predecessors,
       round((epoch_ms(f.ts) - epoch_ms((SELECT first_at FROM aff))) / 1000.0, 3) AS since_impact_start_s,
       round((epoch_ms(f.ts) - epoch_ms((SELECT valid_from FROM bad))) / 1000.0, 3) AS since_bad_change_s,
       CASE WHEN f.ts IS NULL THEN NULL ELSE coalesce(len(c.before), 0) = 0 END AS order_ok,
       CASE WHEN len(c.before) > 0 THEN c.before END AS before_predecessors,
       CASE WHEN len(c.before) > 0
            THEN f.label || ' is before ' || array_to_string(c.before_labels, ' and ') END AS order_issue
FROM found f
LEFT JOIN checked c USING (position)
ORDER BY f.position;
