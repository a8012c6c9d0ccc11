-- The scam-message reports for the Customer follow-up page, each with the affected user it is
-- linked to (by user id or named in the text) and what it reports.
-- Placeholders: {{reporter}}, {{linked}}: the id columns as shown (masked or not, fixed SQL).
-- Parameters: none. Grain: one row per scam-report event, in time order.
SELECT ts, {{reporter}} AS reporter, {{linked}} AS linked_user, linked_by, linked_user_exploiter AS exploiter,
       linked_user_excess AS excess, domains, phrases, ref, detail, after_bad_change
FROM scam_reports
ORDER BY ts, event_id
