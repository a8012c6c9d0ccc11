-- The tables of Parquet files read in place (analyzer/ingest/inplace.py): the rows stay in the
-- files, `transactions` is a view over them (inplace_view.sql). Created on the first in-place
-- ingest. Grain: inplace_files one row per file read in place; inplace_excluded one row per
-- line of such a file that the view leaves out (rejected, an exact duplicate, a conflict).
CREATE TABLE IF NOT EXISTS inplace_files (
    file_id        INTEGER PRIMARY KEY,    -- load_manifest.file_id (sha256 and row accounting there)
    path           VARCHAR NOT NULL,       -- absolute, resolved
    size_bytes     BIGINT  NOT NULL,
    mtime_ns       BIGINT  NOT NULL,
    footer_sha256  VARCHAR NOT NULL,       -- SHA-256 of the Parquet footer (metadata + its length + PAR1)
    branch_sql     VARCHAR NOT NULL        -- the file's SELECT in the view (inplace_branch.sql, filled)
);

CREATE TABLE IF NOT EXISTS inplace_excluded (
    file_id INTEGER NOT NULL,
    line    BIGINT  NOT NULL               -- file_row_number + 1
);
