-- The manifest row of one ingested file: what it was (path, hash, reader, encoding, zone) and
-- what became of its rows (read = loaded + duplicate + rejected; skipped lines are not rows).
INSERT INTO load_manifest (file_id, path, kind, sha256, size_bytes, format, encoding, tz, rows_read, rows_loaded,
                           rows_duplicate, rows_rejected, rows_skipped, float_money, ingested_at)
VALUES ($file_id, $path, $kind, $sha256, $size_bytes, $format, $encoding, $tz, $rows_read, $rows_loaded,
        $rows_duplicate, $rows_rejected, $rows_skipped, $float_money, $ingested_at);
