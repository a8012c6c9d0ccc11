-- One live version per campaign per instant: no two versions of a campaign overlap, and no
-- two changes of a campaign share an instant (that would leave one of them live for 0 s).
SELECT a.campaign_id, a.change_id AS change_a, b.change_id AS change_b, a.valid_from, a.valid_until, b.valid_from AS b_from
FROM config_versions a
JOIN config_versions b ON a.campaign_id = b.campaign_id AND a.version_seq < b.version_seq
WHERE b.valid_from < a.valid_until AND b.version_seq <> a.version_seq + 1
   OR (b.version_seq = a.version_seq + 1 AND (b.valid_from <> a.valid_until OR b.valid_from = a.valid_from))
ORDER BY a.campaign_id, a.valid_from;
