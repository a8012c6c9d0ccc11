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
-- The same statement on DuckDB and on Spark (seconds_between: functions.sql of each dialect).
-- Parameters: $bad_change_id, $fix_change_id (may be NULL).
-- Grain: one row per milestone (nine rows, position 1..9).
CREATE OR REPLACE TABLE milestones AS
WITH bad AS (
    SELECT valid_from FROM config_versions WHERE change_id = $bad_change_id
), fix AS (
    SELECT valid_from, change_id FROM config_versions WHERE change_id = $fix_change_id
), span AS (
    SELECT min(ts) AS first_at, max(ts) AS last_at FROM affected_transactions
), aff AS (
    -- the first and the last affected payment (the smallest / largest txn_id at a tie)
    SELECT span.first_at, span.last_at,
           min(t.txn_id) FILTER (WHERE t.ts = span.first_at) AS first_txn,
           max(t.txn_id) FILTER (WHERE t.ts = span.last_at) AS last_txn
    FROM span LEFT JOIN affected_transactions t ON t.ts IN (span.first_at, span.last_at)
    GROUP BY span.first_at, span.last_at
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
    -- the first event of each milestone (the smallest event_id at a tie)
    SELECT milestone, ts, event_id AS ref_id, title
    FROM (SELECT *, row_number() OVER (PARTITION BY milestone ORDER BY ts, event_id) AS nth
          FROM ev WHERE milestone IS NOT NULL)
    WHERE nth = 1
), defined AS (
    SELECT * FROM (VALUES
        (1, 'bad_change', 'Bad change live', CAST({{list}}() AS {{text_list}})),
        (2, 'impact_start', 'Impact start (first affected payment)', {{list}}('bad_change')),
        (3, 'detected', 'Detection (first alert)', {{list}}('impact_start')),
        (4, 'acknowledged', 'Acknowledgement', {{list}}('detected')),
        (5, 'declared', 'Declaration (incident opened)', {{list}}('detected')),
        (6, 'mitigated', 'Mitigation (fix change live)', {{list}}('impact_start')),
        (7, 'last_affected', 'Last affected payment', {{list}}('impact_start')),
        (8, 'resolved', 'Resolution', {{list}}('mitigated', 'last_affected', 'declared')),
        (9, 'communicated', 'Communication (official statement)', {{list}}('declared'))
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
), pairs AS (
    -- each milestone with each predecessor it has; `early`: the milestone is before it
    SELECT m.position, p.position AS p_position, p.milestone AS p_milestone, p.label AS p_label, m.ts < p.ts AS early
    FROM found m
    JOIN found p ON array_contains(m.predecessors, p.milestone)
    WHERE m.ts IS NOT NULL AND p.ts IS NOT NULL
), checked AS (
    SELECT position,
           {{ordered_list:p_milestone,p_position,early}} AS before,
           {{ordered_list:p_label,p_position,early}} AS before_labels
    FROM pairs
    GROUP BY position
)
SELECT f.position, f.milestone, f.label, f.ts, f.source, f.ref_id, f.event_title, f.predecessors,
       seconds_between((SELECT first_at FROM aff), f.ts) AS since_impact_start_s,
       seconds_between((SELECT valid_from FROM bad), f.ts) AS since_bad_change_s,
       CASE WHEN f.ts IS NULL THEN NULL ELSE coalesce(cardinality(c.before), 0) = 0 END AS order_ok,
       CASE WHEN cardinality(c.before) > 0 THEN c.before END AS before_predecessors,
       CASE WHEN cardinality(c.before) > 0
            THEN f.label || ' is before ' || {{array_join}}(c.before_labels, ' and ') END AS order_issue
FROM found f
LEFT JOIN checked c ON c.position = f.position
ORDER BY f.position;
