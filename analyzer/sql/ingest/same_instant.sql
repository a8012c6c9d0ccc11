-- Two changes of one campaign at the same instant leave the order of the versions undefined:
-- one of them would be live for no time at all, and which one is a guess. Unless the source
-- orders them (a `seq` column), that is a data error at ingest. Pairs within this file and
-- against the changes loaded before. Grain: one row per pair (a few are enough to say so).
SELECT a._line AS line, b._line AS other_line, a.change_id, b.change_id AS other_change_id, a.campaign_id, a.ts,
       'this file' AS other_file
FROM _stage a
JOIN _stage b ON a.campaign_id = b.campaign_id AND a.ts = b.ts AND a.change_id < b.change_id
WHERE a.reason IS NULL AND b.reason IS NULL AND a.campaign_id IS NOT NULL
  AND (a.seq IS NULL OR b.seq IS NULL OR a.seq = b.seq)
UNION ALL
SELECT a._line, c.line, a.change_id, c.change_id, a.campaign_id, a.ts, 'file ' || c.file_id
FROM _stage a
JOIN config_changes c ON a.campaign_id = c.campaign_id AND a.ts = c.ts AND a.change_id <> c.change_id
WHERE a.reason IS NULL AND a.campaign_id IS NOT NULL AND (a.seq IS NULL OR c.seq IS NULL OR a.seq = c.seq)
ORDER BY line
LIMIT 5
