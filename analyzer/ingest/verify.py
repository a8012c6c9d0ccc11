"""The Parquet files read in place are still the files that were ingested.

Checked before the view `transactions` is read again: by `analyze` (always), and cheaply by
`summary`, `check` and `report`. Quick (the default): each file's size and the SHA-256 of its
footer (the metadata, which holds every column chunk's offset, size and statistics) must be
what ingest recorded; a file whose modification time moved is hashed in full, so a rewrite
that kept the size and the footer is caught too, and a copy or a `touch` that kept the bytes
passes. Full (`analyze --verify full`): the SHA-256 of every file, as load_manifest holds it.
A missing or changed file is a DataError (exit 4): the recorded accounting, rejects and
disputes would no longer describe the rows, so nothing is answered from them.
"""

from __future__ import annotations

from pathlib import Path

from analyzer.db import Database
from analyzer.errors import DataError, UsageError
from analyzer.ingest.inplace import footer_sha256

MODES = ("quick", "full")


def verify(db: Database, mode: str = "quick") -> int:
    """Check every file read in place; the number checked. Raises DataError naming the first
    file that is missing or changed."""
    from analyzer.ingest.loader import sha256_of

    if mode not in MODES:
        raise UsageError(f"--verify {mode!r}: choose quick or full")
    if not db.has_table("inplace_files"):
        return 0
    files = db.dicts_file("ingest/inplace_list")
    for f in files:
        path = Path(f["path"])
        fix = ("restore it, or ingest the data again into a new database "
               "(`analyzer ingest --copy` keeps a copy that does not depend on the files)")
        try:
            st = path.stat()
        except FileNotFoundError:
            raise DataError(f"{path}: the Parquet file read in place (file {f['file_id']}) is missing; {fix}") from None
        changed = st.st_size != f["size_bytes"]
        if not changed and mode == "quick" and st.st_mtime_ns == f["mtime_ns"]:
            changed = footer_sha256(path) != f["footer_sha256"]
        elif not changed:
            changed = sha256_of(path) != f["sha256"]
        if changed:
            raise DataError(f"{path}: the Parquet file read in place (file {f['file_id']}) changed since it was "
                            f"ingested (SHA-256 {f['sha256'][:12]}…); {fix}")
    return len(files)
