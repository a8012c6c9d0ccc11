-- Export of the reviewer notes: the view `reviewer_notes` registered from the annotations log
-- (analyzer/report/notes.py), oldest first. Parameters: none.
-- Grain: one row per current note.
SELECT id, "at", who, what, kind, ref, label, star, tags, comment
FROM reviewer_notes
ORDER BY "at", id
