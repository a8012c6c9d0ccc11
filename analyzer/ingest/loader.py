"""Load files one by one, each in its own transaction, and record them in `load_manifest`.

Order of work per file: hash it (a file already ingested is skipped), create `_stage_raw`
(sources.py), parse and validate every row once, in parallel, into the in-memory table
`_stage_rows` (stage_*.sql; the view `_stage` adds the line numbers, stage_lines.sql), count
the rows and keep the rejected ones (check_file.sql), judge duplicates and conflicts against
this file and the rows loaded before (dedupe.sql), append the rows that load to the table
(load_rows.sql), write the manifest row, commit. An error or a kill anywhere before
the commit leaves the database as it was before that file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from analyzer.db import Database
from analyzer.sql import quote_ident, quote_literal
from analyzer.errors import InputError, UsageError
from analyzer.ingest.kinds import CONFIG_CHANGES, EVENTS, KINDS, TRANSACTIONS, Kind
from analyzer.ingest.sources import SourceFile, StagedSource, describe

Progress = Callable[[str], None]


@dataclass(frozen=True)
class FileResult:
    path: str
    kind: str
    format: str
    sha256: str
    rows_read: int
    rows_loaded: int
    rows_duplicate: int
    rows_rejected: int
    rejects_by_reason: dict[str, int]
    skipped: bool = False  # already ingested (same SHA-256): nothing changed

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_duplicate + self.rows_rejected


@dataclass(frozen=True)
class IngestReport:
    files: tuple[FileResult, ...] = field(default_factory=tuple)

    def totals(self, kind: str = "transactions") -> dict[str, int]:
        keys = ("rows_read", "rows_loaded", "rows_duplicate", "rows_rejected")
        return {k: sum(getattr(f, k) for f in self.files if f.kind == kind and not f.skipped) for k in keys}


def load_mapping(path: str | Path | None) -> dict[str, dict[str, str]]:
    """Read a TOML mapping: [transactions] txn_id = "order_no" renames the user's columns."""
    if path is None:
        return {}
    path = Path(path)
    if not path.exists():
        raise InputError("mapping file not found", path=str(path))
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not a valid TOML mapping: {exc}", path=str(path)) from exc
    mapping: dict[str, dict[str, str]] = {}
    for kind_name, table in doc.items():
        kind = KINDS.get(kind_name)
        if kind is None or not isinstance(table, dict):
            raise InputError(f"unknown section [{kind_name}] (expected {', '.join(KINDS)})", path=str(path))
        for canonical, source in table.items():
            if canonical not in kind.columns:
                raise InputError(f"[{kind_name}] has no canonical column {canonical!r}", path=str(path))
            mapping.setdefault(kind_name, {})[canonical] = str(source)
    return mapping


def check_tz(tz: str | None) -> None:
    if tz is None:
        return
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(f"--tz {tz!r} is not a known time zone (for example Asia/Shanghai or UTC)") from exc


def ensure_schema(db: Database) -> None:
    db.run_file("ingest/schema")


def ingest(db: Database, *, transactions: Sequence[str | Path] = (), config_changes: Sequence[str | Path] = (),
           events: Sequence[str | Path] = (), tz: str | None = None, mapping: str | Path | None = None,
           encoding: str = "utf-8", progress: Progress | None = None) -> IngestReport:
    """Ingest the given files in order (config changes, then events, then transactions)."""
    check_tz(tz)
    maps = load_mapping(mapping)
    # Describe (and hash) every file first: a missing file fails before anything is loaded.
    sources = [describe(p, CONFIG_CHANGES) for p in config_changes]
    sources += [describe(p, EVENTS) for p in events]
    sources += [describe(p, TRANSACTIONS) for p in transactions]
    ensure_schema(db)
    results = []
    for n, src in enumerate(sources, 1):
        if progress:
            progress(f"[{n}/{len(sources)}] {src.kind.name}: {src.path.name}")
        results.append(_ingest_file(db, src, maps.get(src.kind.name, {}), tz, encoding))
    return IngestReport(files=tuple(results))


def _already_ingested(db: Database, src: SourceFile) -> FileResult | None:
    row = db.one("""SELECT rows_read, rows_loaded, rows_duplicate, rows_rejected FROM load_manifest
                    WHERE sha256 = ? AND kind = ? ORDER BY file_id LIMIT 1""", [src.sha256, src.kind.name])
    if row is None:
        return None
    return FileResult(str(src.path), src.kind.name, src.format, src.sha256, *row, rejects_by_reason={}, skipped=True)


def _ingest_file(db: Database, src: SourceFile, mapping: dict[str, str], tz: str | None,
                 encoding: str) -> FileResult:
    done = _already_ingested(db, src)
    if done is not None:
        return done
    staged = StagedSource(db, src, mapping, encoding)
    # Naive timestamps are read in the session zone: --tz for the length of this file.
    db.execute(f"SET TimeZone = {quote_literal(tz or 'UTC')}").fetchall()
    try:
        with db.transaction():
            return _load(db, src, staged, tz, encoding)
    finally:
        db.execute("SET TimeZone = 'UTC'").fetchall()
        staged.close()


def _load(db: Database, src: SourceFile, staged: StagedSource, tz: str | None, encoding: str) -> FileResult:
    kind = src.kind
    file_id = db.scalar("SELECT nextval('file_id_seq')")
    staged.create_view()
    # The one pass over the file: parse and validate every row, in parallel, into memory.
    db.run_file(f"ingest/{kind.stage_sql}", raw=staged.raw_sql)
    reader_rejects = staged.reader_rejects()
    db.run_file("ingest/stage_lines", {"skipped": _thresholds(reader_rejects)})
    places = _placeholders(kind)
    # Count the rows, keep the rejected ones, find naive timestamps.
    db.run_file("ingest/check_file", **places)
    rows_checked, first_naive = db.one("SELECT rows_read, first_naive_line FROM _file_check")
    if tz is None and first_naive is not None:
        raise InputError("timestamp has no offset or Z; pass --tz with the zone it was written in "
                         "(for example --tz Asia/Shanghai)", path=str(src.path), line=first_naive, field="ts")
    # Judge duplicates and conflicts, then append the rows that load (the data is written once).
    db.run_file("ingest/dedupe", {"file_id": file_id, "kind": kind.name}, **places)
    db.run_file("ingest/load_rows", {"file_id": file_id}, **places)
    if reader_rejects:
        db.con.executemany(
            "INSERT INTO rejects VALUES (?, ?, ?, NULL, 'malformed_row', NULL, ?, ?)",
            [(file_id, kind.name, line, message, raw) for line, raw, message in reader_rejects])
    rejected_rows, duplicate, conflicting = db.one("""
        SELECT (SELECT count(*) FROM _rejected), count(*) FILTER (reason = 'duplicate'),
               count(*) FILTER (reason = 'conflicting_duplicate') FROM _verdicts""")
    by_reason = dict(db.rows("""SELECT reason, count(*) FROM rejects WHERE file_id = ?
                                GROUP BY reason ORDER BY reason""", [file_id]))
    read = rows_checked + len(reader_rejects)
    rejected = rejected_rows + conflicting + len(reader_rejects)
    loaded = rows_checked - rejected_rows - duplicate - conflicting
    db.execute("""INSERT INTO load_manifest VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
               [file_id, str(src.path), kind.name, src.sha256, src.size_bytes, src.format,
                encoding.lower(), tz, read, loaded, duplicate, rejected, datetime.now(UTC)]).fetchall()
    db.execute("DROP VIEW IF EXISTS _stage").fetchall()
    for temp in ("_stage_rows", "_line_shift", "_file_check", "_rejected", "_dupkeys", "_duprows", "_verdicts"):
        db.execute(f"DROP TABLE IF EXISTS {temp}").fetchall()
    db.execute("DROP VIEW IF EXISTS _stage_raw").fetchall()
    return FileResult(str(src.path), kind.name, src.format, src.sha256, read, loaded, duplicate, rejected,
                      rejects_by_reason=by_reason)


def _thresholds(reader_rejects: list[tuple[int, str, str]]) -> list[int]:
    """Row numbers -> line numbers: the j-th line the CSV reader skipped (at line L) shifts every
    row whose row-derived line is >= L - j by one."""
    lines = sorted(line for line, _raw, _msg in reader_rejects)
    return [line - j for j, line in enumerate(lines)]


def _placeholders(kind: Kind) -> dict[str, str]:
    content = [quote_ident(c) for c in kind.content]
    columns = [c for c in _table_columns(kind)]
    return {
        "table": quote_ident(kind.table),
        "key": quote_ident(kind.key),
        "key_name": quote_literal(kind.key),
        "row": "(" + ", ".join(content) + ")",
        "raw": "struct_pack(" + ", ".join(f"{quote_ident(c)} := {quote_ident(c)}" for c in (kind.key, *kind.content)) + ")",
        "columns": ", ".join(quote_ident(c) for c in columns),
    }


def _table_columns(kind: Kind) -> tuple[str, ...]:
    """The target table's columns before file_id and line."""
    if kind is TRANSACTIONS:
        return kind.columns
    if kind is CONFIG_CHANGES:
        return (*kind.columns, "discount_type", "discount_value", "max_discount", "min_amount", "scenes", "enabled")
    return ("event_id", *kind.columns)
