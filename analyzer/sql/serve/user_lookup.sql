-- The affected user behind an id as shown (the drill-down's first step): from user_pseudonyms
-- (affected.sql), so a masked id costs no hash of every user's id.
-- Placeholders: {{shown}} `pseudonym` (masking) or `user_id`. Parameters: $user (the id as shown).
-- Grain: at most one row.
SELECT user_id FROM user_pseudonyms WHERE {{shown}} = $user LIMIT 1
