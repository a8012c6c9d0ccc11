-- The filters of the Affected users page, as one WHERE condition over the columns of an
-- affected_users row. Used by affected_users_page.sql / affected_users_totals.sql and wrapped
-- around the report's export SELECT for the CSV/Excel downloads, so the table and a download
-- hold the same users.
-- Placeholders (fixed SQL, never a value):
--   {{user_id}} the user id as shown (`user_id`, or `pseudonym(user_id)` on the table when
--     masking: the search matches what the reader sees; only evaluated when searching);
--   {{scenes}} the scenes as a list (`scenes` on the table, `string_split(scenes, ';')` on the
--     export's text column).
-- Parameters (NULL / empty = no filter): $search (part of the user id, case-insensitive),
--   $scenes VARCHAR[] (any of them), $min_excess DECIMAL, $exploit BOOLEAN,
--   $refunded BOOLEAN (true: some affected payment refunded, fully or partly; false: none).
(coalesce($search, '') = '' OR contains(lower({{user_id}}), lower($search)))
AND (coalesce(len($scenes), 0) = 0 OR list_has_any({{scenes}}, $scenes))
AND ($min_excess IS NULL OR excess_total >= $min_excess)
AND ($exploit IS NULL OR exploit_flag = $exploit)
AND ($refunded IS NULL OR (fully_refunded_txns + partially_refunded_txns > 0) = $refunded)
