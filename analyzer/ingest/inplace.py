"""Parquet read in place: the rows stay in the files, `transactions` is a view over them.

`analyzer ingest` checks a Parquet transactions file in one scan, like any file, but keeps
only what the checks need (line, txn_id, the verdict; stage_transactions.sql with a narrow
{{keep}}); the few rows whose txn_id repeats are read again by row number and compared exactly
(inplace_dup_rows.sql). It records the lines it leaves out (inplace_excluded: rejected, exact
duplicates, conflicts) and the file's identity (inplace_files: size, mtime, a hash of the
footer; the SHA-256 is in load_manifest), and redefines the view `transactions`: the copied rows
(transactions_copied) UNION ALL each file's rows through the same typed expressions
(transactions_typed.sql, inplace_branch.sql) less its excluded lines. The files are never
written; analyzer/ingest/verify.py checks them before they are read again. CSV, JSON lines and
`--copy` keep the copy into the database.
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from analyzer import sql
from analyzer.db import Database
from analyzer.errors import InputError

GLOB_CHARS = set("*?[")
FOOTER_TAIL = 8  # the footer's length (4 bytes, little-endian) and the magic PAR1


def expand(paths: Sequence[str | Path]) -> list[Path]:
    """Each input as the files it names: a file as is; a directory as every Parquet file under
    it (a hive-partitioned lake, dt=2025-01-16/part-0.parquet), sorted; a glob as its matches,
    sorted. Files whose name starts with '.' or '_' (_SUCCESS, .crc) are not data."""
    out: list[Path] = []
    for given in paths:
        text = str(given)
        path = Path(text)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.parquet") if p.is_file() and not _hidden(p, path))
            if not found:
                raise InputError("a directory without Parquet files (*.parquet) under it", path=text)
            out.extend(found)
        elif not path.exists() and GLOB_CHARS & set(text):
            found = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
            if not found:
                raise InputError("no file matches this pattern", path=text)
            out.extend(found)
        else:
            out.append(path)
    return out


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith((".", "_")) for part in path.relative_to(root).parts)


def footer_sha256(path: Path) -> str:
    """SHA-256 of the Parquet footer (the file's metadata: schema, row groups, statistics, and
    the offsets of every column chunk): read from the end, a few KiB whatever the file's size."""
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size < 12:
            raise InputError("not a Parquet file (too short)", path=str(path))
        fh.seek(size - FOOTER_TAIL)
        tail = fh.read(FOOTER_TAIL)
        length = int.from_bytes(tail[:4], "little")
        start = max(0, size - FOOTER_TAIL - length)
        fh.seek(start)
        return hashlib.sha256(fh.read(size - start)).hexdigest()


def identity(path: Path) -> dict[str, int | str]:
    st = path.stat()
    return {"size_bytes": st.st_size, "mtime_ns": st.st_mtime_ns, "footer_sha256": footer_sha256(path)}


def prepare(db: Database) -> str:
    """Make the database ready for in-place files; the table that copied rows go to."""
    db.run_file("ingest/inplace_schema")
    if _is_table(db, "transactions"):
        db.run_file("ingest/inplace_split")
        rebuild_view(db)
    return "transactions_copied"


def copy_target(db: Database) -> str:
    """Where copied transactions go: the table, or transactions_copied under the view."""
    return "transactions_copied" if _is_table(db, "transactions_copied") else "transactions"


def _is_table(db: Database, name: str) -> bool:
    return bool(db.scalar("SELECT count(*) FROM duckdb_tables() WHERE NOT temporary AND schema_name = 'main' "
                          "AND table_name = ?", [name]))


def branch_sql(typed: str, file_id: int) -> str:
    """The file's SELECT in the view (inplace_branch.sql, filled)."""
    return sql.statement("ingest/inplace_branch", typed=typed, file_id=str(int(file_id)))


def rebuild_view(db: Database) -> None:
    branches = [r[0] for r in db.rows("SELECT branch_sql FROM inplace_files ORDER BY file_id")]
    db.run_file("ingest/inplace_view", branches="".join(f"\nUNION ALL\n{b}" for b in branches))
