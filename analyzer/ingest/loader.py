"""Load files one by one, each in its own transaction, and record them in `load_manifest`.

Order of work per file: hash it (a file already ingested is skipped), look at its first bytes
and choose its reader (readers/__init__.py), let the reader build the relation `_stage_raw`
with the canonical columns, parse and validate every row once, in parallel, into the in-memory
table `_stage_rows` (stage_*.sql, read per column type: templates below), give every row its
line in the file (stage_lines*.sql), refuse changes of one campaign at one instant
(same_instant.sql), count the rows and keep the rejected ones (check_file.sql), judge
duplicates and conflicts against this file and the rows loaded before (dedupe.sql), append the
rows that load (load_rows.sql), write the manifest row, commit. An error or a kill anywhere
before the commit leaves the database as it was before that file. Once every file is in, the
refunds are judged over everything loaded (refund_disputes.sql).

A Parquet transactions file is read in place unless `copy` (analyzer/ingest/inplace.py): the
same one scan keeps only what the checks need, nothing is appended, and the view
`transactions` takes the file's rows less the lines it left out. Directories and globs are
expanded to their files first (sorted).

A file from which no row loads (all rejected, or nothing recognised) is recorded, its rejects
kept, and named in `IngestReport.failures`: the CLI then exits with DATA_ERROR.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from analyzer.db import Database, first_line
from analyzer.errors import DataError, InputError, UsageError
from analyzer import sql
from analyzer.ingest import inplace, readers
from analyzer.ingest.kinds import CONFIG_CHANGES, EVENTS, TRANSACTIONS, Kind
from analyzer.ingest.mapping import Mapping_, load_mapping
from analyzer.ingest.readers.base import Lines, ReadContext, SourceFile, Staged
from analyzer.ingest.sniff import sample as sniff_sample
from analyzer.sql import quote_ident, quote_literal

Progress = Callable[[str], None]
INPLACE_READER = "canonical-parquet"  # the reader whose transactions files are read in place
FLOAT_MONEY = ("round",)
# ingest keeps DuckDB within this much memory unless told otherwise (ingest --memory-limit):
# the staged keys of a large file spill to disk instead of filling the machine (50M payments in
# place: 1.8 GiB peak instead of 5.4 GiB, about 30% slower; benchmarks/README.md).
INGEST_MEMORY_LIMIT = "1536MB"


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
    rows_skipped: int = 0
    encoding: str = ""
    skipped: bool = False  # already ingested (same SHA-256): nothing changed
    sample_reject: str | None = None  # a rejected line, when nothing loaded
    in_place: bool = False  # a Parquet file whose rows stay in the file (the view reads them)

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_duplicate + self.rows_rejected

    @property
    def loaded_nothing(self) -> bool:
        """No row of this file is in the database (and none was an exact duplicate of one that is)."""
        return not self.skipped and self.rows_loaded == 0 and self.rows_duplicate == 0


@dataclass(frozen=True)
class IngestReport:
    files: tuple[FileResult, ...] = field(default_factory=tuple)

    def totals(self, kind: str = "transactions") -> dict[str, int]:
        keys = ("rows_read", "rows_loaded", "rows_duplicate", "rows_rejected")
        return {k: sum(getattr(f, k) for f in self.files if f.kind == kind and not f.skipped) for k in keys}

    @property
    def failures(self) -> tuple[FileResult, ...]:
        return tuple(f for f in self.files if f.loaded_nothing)


def check_tz(tz: str | None) -> None:
    if tz is None:
        return
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(f"--tz {tz!r} is not a known time zone (for example Asia/Shanghai or UTC)") from exc


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe(path: str | Path) -> SourceFile:
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=str(path))
    if not path.is_file():
        raise InputError("not a file", path=str(path))
    return SourceFile(path=path.resolve(), sha256=sha256_of(path), size_bytes=path.stat().st_size)


def ingest(db: Database, *, transactions: Sequence[str | Path] = (), config_changes: Sequence[str | Path] = (),
           events: Sequence[str | Path] = (), tz: str | None = None, mapping: str | Path | Mapping_ | None = None,
           encoding: str | None = None, fmt: str | None = None, float_money: str | None = None,
           currency: str | None = None, progress: Progress | None = None, copy: bool = False,
           memory_limit: str | None = INGEST_MEMORY_LIMIT) -> IngestReport:
    """Ingest the given files in order (config changes, then events, then transactions). Parquet
    transactions are read in place unless `copy`. DuckDB stays within `memory_limit` (None: the
    connection's own)."""
    with db.memory_limited(memory_limit):
        return _ingest(db, transactions, config_changes, events, tz, mapping, encoding, fmt, float_money,
                       currency, progress, copy)


def _ingest(db: Database, transactions, config_changes, events, tz, mapping, encoding, fmt, float_money,
            currency, progress, copy) -> IngestReport:
    check_tz(tz)
    if float_money is not None and float_money not in FLOAT_MONEY:
        raise UsageError(f"--float-money {float_money!r}: the only choice is 'round'")
    maps = mapping if isinstance(mapping, Mapping_) else load_mapping(mapping)
    if currency:
        maps = Mapping_(maps.fields, maps.campaigns, maps.tz, currency.upper(), maps.source)
    forced = fmt or maps.source
    if forced:
        readers.by_name(forced)
    # Describe (and hash) every file first: a missing file fails before anything is loaded.
    jobs = [(describe(p), CONFIG_CHANGES) for p in inplace.expand(config_changes)]
    jobs += [(describe(p), EVENTS) for p in inplace.expand(events)]
    jobs += [(describe(p), TRANSACTIONS) for p in inplace.expand(transactions)]
    ensure_schema(db)
    from analyzer.ingest.verify import verify

    verify(db)  # new rows are judged against the rows in place: those files must be as ingested
    results = []
    try:
        for n, (src, kind) in enumerate(jobs, 1):
            if progress:
                progress(f"[{n}/{len(jobs)}] {kind.name}: {src.path.name}")
            companions = tuple(s for s, k in jobs if k is kind and s.path != src.path)
            results.append(_ingest_file(db, src, kind, maps, tz, encoding, forced, float_money, companions, copy))
    finally:
        db.execute("DROP TABLE IF EXISTS _loaded_keys").fetchall()  # the keys of this command (in place)
        if db.has_table("inplace_files"):
            with db.transaction():
                inplace.rebuild_view(db)  # every file recorded, including those of a command that failed
    if any(kind is TRANSACTIONS for _src, kind in jobs):
        with db.transaction():  # over everything loaded: a refund may come before its payment
            db.run_file("ingest/refund_disputes")
    return IngestReport(files=tuple(results))


def ensure_schema(db: Database) -> None:
    db.run_file("ingest/schema")


def _ingest_file(db: Database, src: SourceFile, kind: Kind, maps: Mapping_, tz: str | None, encoding: str | None,
                 forced: str | None, float_money: str | None,
                 companions: tuple[SourceFile, ...] = (), copy: bool = True) -> FileResult:
    sample = sniff_sample(src.path, encoding)
    reader = readers.choose(sample, kind, forced if forced and kind.name in readers.by_name(forced).kinds else None)
    done = db.dicts_file("ingest/already_ingested", {"sha256": src.sha256, "kind": kind.name})
    if done:
        return FileResult(str(src.path), kind.name, reader.name, src.sha256, **done[0], rejects_by_reason={},
                          skipped=True)
    zone = tz or maps.tz
    # Naive timestamps are read in the session zone: --tz for the length of this file.
    db.execute(f"SET TimeZone = {quote_literal(zone or 'UTC')}").fetchall()
    try:
        with tempfile.TemporaryDirectory(prefix="analyzer-ingest-") as tmp, db.transaction():
            ctx = ReadContext(db, src, sample, kind, maps, zone, Path(tmp), float_money, companions)
            in_place = not copy and kind is TRANSACTIONS and reader.name == INPLACE_READER
            return _load(ctx, reader.name, in_place)
    finally:
        db.execute("SET TimeZone = 'UTC'").fetchall()


def _load(ctx: ReadContext, reader_name: str, in_place: bool = False) -> FileResult:
    db, kind, src = ctx.db, ctx.kind, ctx.src
    reader = readers.by_name(reader_name)
    file_id = db.scalar("SELECT nextval('file_id_seq')")
    staged, types, lines, zone, (typed_view, typed_dups) = _stage(ctx, reader, in_place)
    places = _placeholders(kind, in_place)
    if kind is TRANSACTIONS:
        places["target"] = quote_ident(inplace.prepare(db) if in_place else inplace.copy_target(db))
    _number_lines(db, staged, lines)
    # Count the rows, keep the rejected ones, find naive timestamps.
    db.run_file("ingest/check_file", key=places["key"])
    rows_checked, first_naive = db.one("SELECT rows_read, first_naive_line FROM _file_check")
    if zone is None and first_naive is not None:
        raise InputError("timestamp has no offset or Z; pass --tz with the zone it was written in "
                         "(for example --tz Asia/Shanghai)", path=ctx.where, line=first_naive, field="ts")
    if kind is CONFIG_CHANGES:
        _refuse_same_instant(ctx)
    # Judge duplicates and conflicts, then append the rows that load (the data is written once).
    keys_kept = kind is TRANSACTIONS and _has_temp(db, "_loaded_keys")
    if in_place and not keys_kept:
        db.run_file("ingest/inplace_loaded_keys")
        keys_kept = True
    if keys_kept:  # once a file was read in place, every later file is judged against these keys
        places["loaded"] = "_loaded_keys"
    db.run_file("ingest/dedupe_keys", **places)
    if keys_kept and db.scalar("SELECT count(*) FROM _dupkeys WHERE earlier"):
        inplace.rebuild_view(db)  # the loaded rows of those keys are read through the view
    if in_place:
        db.run_file("ingest/inplace_dup_rows", key=places["key"], typed=typed_dups)
    db.run_file("ingest/dedupe", {"file_id": file_id, "kind": kind.name}, **places)
    if keys_kept:
        db.run_file("ingest/inplace_keys_append", key=places["key"])
    counts = db.dicts_file("ingest/file_counts", {"file_id": file_id})[0]
    if in_place:
        # nothing is appended: the lines left out are recorded, the view takes the rest
        db.run_file("ingest/inplace_record", {"file_id": file_id, "path": str(src.path),
                                              "branch_sql": inplace.branch_sql(typed_view, file_id),
                                              **inplace.identity(src.path)})
        # the view is redefined once the last file is in (binding it reads every file's footer)
    else:
        db.run_file("ingest/load_rows", {"file_id": file_id}, **places)
    if lines.reader_rejects:
        db.con.executemany(
            "INSERT INTO rejects VALUES (?, ?, ?, NULL, 'malformed_row', NULL, ?, ?)",
            [(file_id, kind.name, line, message, raw) for line, raw, message in lines.reader_rejects])
    by_reason = {r["reason"]: r["rows"] for r in db.dicts_file("ingest/rejects_by_reason", {"file_id": file_id})}
    read = rows_checked + len(lines.reader_rejects)
    rejected = counts["rejected_rows"] + counts["conflicting"] + len(lines.reader_rejects)
    duplicate = counts["duplicate"]
    loaded = rows_checked - counts["rejected_rows"] - duplicate - counts["conflicting"]
    skipped = staged.skipped + lines.blank
    float_note = "rounded" if ctx.float_money == "round" and any(
        types.get(c, "").upper() in ("FLOAT", "DOUBLE", "REAL") for c in kind.money) else None
    db.run_file("ingest/record_file", {
        "file_id": file_id, "path": str(src.path), "kind": kind.name, "sha256": src.sha256,
        "size_bytes": src.size_bytes, "format": reader.name, "encoding": ctx.sample.encoding, "tz": zone,
        "rows_read": read, "rows_loaded": loaded, "rows_duplicate": duplicate, "rows_rejected": rejected,
        "rows_skipped": skipped, "float_money": float_note, "ingested_at": datetime.now(UTC)})
    sample_reject = None
    if loaded == 0 and duplicate == 0:
        sample_reject = db.scalar("SELECT coalesce(raw, message) FROM rejects WHERE file_id = ? ORDER BY line LIMIT 1",
                                  [file_id])
    db.run_file("ingest/drop_stage")
    return FileResult(str(src.path), kind.name, reader.name, src.sha256, read, loaded, duplicate, rejected,
                      rejects_by_reason=by_reason, rows_skipped=skipped, encoding=ctx.sample.encoding,
                      sample_reject=sample_reject, in_place=in_place)


@contextmanager
def reading_errors(ctx: ReadContext) -> Iterator[None]:
    """DuckDB's errors about the file itself (undecodable bytes, a truncated gzip, a broken
    Parquet footer) as one input error naming the file; anything else is not the input's fault."""
    try:
        yield
    except duckdb.Error as exc:
        text = first_line(exc)
        lower = text.lower()
        if "state machine reached an invalid state" in lower:
            raise InputError(f"cannot be split as CSV ({text})", path=ctx.where) from exc
        if any(w in lower for w in ("unicode", "utf-8", "utf8", "invalid byte")):
            raise InputError("bytes that are not valid UTF-8; pass --encoding (for example --encoding gbk)",
                             path=ctx.where) from exc
        if any(w in lower for w in ("gzip", "zlib", "decompress", "truncated", "unexpected end")):
            raise InputError(f"the file is cut short or not a complete gzip stream ({text})", path=ctx.where) from exc
        if any(w in lower for w in ("parquet", "magic bytes", "footer", "thrift")):
            raise InputError(f"cannot read as Parquet: {text}", path=ctx.where) from exc
        raise


def _stage(ctx: ReadContext, reader, in_place: bool = False
           ) -> tuple[Staged, dict[str, str], Lines, str | None, tuple[str, str]]:
    """The reader's relation as `_stage_raw`, parsed and validated into `_stage_rows`; its
    column types; the rows' lines; the zone its naive times are read in; for a file read in
    place, its typed values (transactions_typed.sql over the file) for the view, and the same
    kept to the row numbers of _dup_lines (inplace_dup_rows.sql)."""
    db, kind = ctx.db, ctx.kind
    with reading_errors(ctx):
        staged = reader.stage(ctx)
    zone = ctx.tz or staged.zone
    if ctx.tz is None and staged.zone is not None:
        # a format whose times are always in one zone (a bill in Beijing time): --tz still wins
        db.execute(f"SET TimeZone = {quote_literal(staged.zone)}").fetchall()
    relation = staged.relation
    if kind is CONFIG_CHANGES:
        from analyzer.ingest.campaign_models import with_models

        relation = with_models(ctx, relation)
    db.execute(f"CREATE OR REPLACE TEMP VIEW _stage_raw AS {relation}").fetchall()
    types = dict(db.rows("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM _stage_raw)"))
    # in place, the view is read in any session zone: naive instants name their zone
    templates = value_templates(ctx, types, zone if in_place else None)
    extra: dict[str, str] = {}
    typed_view = typed_dups = ""
    if kind is TRANSACTIONS:
        extra = {"typed": sql.statement("ingest/transactions_typed", source="_stage_raw", **templates),
                 "keep": _narrow(kind) if in_place else "*"}
        if in_place:
            typed_view = sql.statement("ingest/transactions_typed", source=f"({relation})", **templates)
            # the canonical Parquet relation ends with its read_parquet(...): a row-number filter
            # there lets DuckDB skip the row groups (a filter on _line would not reach the reader)
            dups = f"{relation} WHERE file_row_number IN (SELECT _line - 1 FROM _dup_lines)"
            typed_dups = sql.statement("ingest/transactions_typed", source=f"({dups})", **templates)
    # The one pass over the file: parse and validate every row, in parallel, into memory.
    with reading_errors(ctx):
        db.run_file(f"ingest/{kind.stage_sql}", raw=staged.raw_sql, **templates, **extra)
        staged_rows = db.scalar("SELECT count(*) FROM _stage_rows")
        lines = staged.finish(staged_rows) if staged.finish else Lines()
    return staged, types, lines, zone, (typed_view, typed_dups)


def _has_temp(db: Database, name: str) -> bool:
    return bool(db.scalar("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [name]))


def _narrow(kind: Kind) -> str:
    """The staged columns of a file read in place: what check_file.sql and dedupe_keys.sql need
    (the content of the few rows whose key repeats is read again: inplace_dup_rows.sql)."""
    return "_line, _ts_naive, " + quote_ident(kind.key) + ", reason, field, message, raw"


def _number_lines(db: Database, staged: Staged, lines: Lines) -> None:
    if lines.line_map is not None:
        db.execute("CREATE OR REPLACE TEMP TABLE _line_map (pos BIGINT, line BIGINT)").fetchall()
        if lines.line_map:
            import pyarrow as pa

            _line_map_rows = pa.table({"pos": list(range(len(lines.line_map))), "line": list(lines.line_map)})
            db.con.register("_line_map_rows", _line_map_rows)
            db.execute("INSERT INTO _line_map SELECT pos, line FROM _line_map_rows").fetchall()
            db.con.unregister("_line_map_rows")
        db.run_file("ingest/stage_lines_mapped")
    else:
        db.run_file("ingest/stage_lines", {"skipped": list(lines.shifts), "first_line": staged.first_line})


def _refuse_same_instant(ctx: ReadContext) -> None:
    pairs = ctx.db.dicts_file("ingest/same_instant")
    if not pairs:
        return
    p = pairs[0]
    raise DataError(f"{ctx.where}:{p['line']}: changes {p['change_id']} and {p['other_change_id']} "
                    f"({p['other_file']}, line {p['other_line']}) of campaign {p['campaign_id']} go live at the "
                    f"same instant {p['ts'].isoformat()}: their order is unknown. Give the log a `seq` column "
                    f"that orders them (or correct the times); nothing of this file was loaded")


# --- reading a column by its type ------------------------------------------------------------------
TEXT_TYPES = ("VARCHAR", "NULL", '"NULL"')
INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                 "UBIGINT", "UHUGEINT")
FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")
# text money: a plain decimal number, any digits beyond the cent must be zeros
MONEY_TEXT = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
BEYOND_CENT = r"\.[0-9]{2}[0-9]*[1-9]"


def _decimal_scale(type_name: str) -> int | None:
    if type_name.startswith("DECIMAL("):
        return int(type_name.rstrip(")").split(",")[1])
    return None


def value_templates(ctx: ReadContext, types: dict[str, str], zone: str | None = None
                    ) -> dict[str, Callable[[str], str]]:
    """The {{money:c}}, {{given:c}}, {{text:c}}, {{instant:c}} templates of the stage SQL, chosen
    by each column's type in the staged relation. A type that cannot hold the value exactly is
    an input error naming the column (floating-point money, unless --float-money round).
    `zone`: naive instants are read in this zone by name rather than in the session's (a view
    over a file read in place is read later, in any session)."""
    def kind_of(column: str) -> str:
        return types.get(column, "VARCHAR").upper()

    def given(column: str) -> str:
        c = quote_ident(column)
        if kind_of(column) in TEXT_TYPES:
            return f"(NULLIF(trim({c}), '') IS NOT NULL)"
        return f"({c} IS NOT NULL)"

    def text(column: str) -> str:
        c = quote_ident(column)
        return f"trim(CAST({c} AS VARCHAR))"

    def money(column: str) -> str:
        c, t = quote_ident(column), kind_of(column)
        if t in TEXT_TYPES:
            v = f"trim({c})"
            return (f"(CASE WHEN regexp_full_match({v}, {quote_literal(MONEY_TEXT)}) "
                    f"AND NOT regexp_matches({v}, {quote_literal(BEYOND_CENT)}) "
                    f"THEN TRY_CAST({v} AS DECIMAL(18,2)) END)")
        scale = _decimal_scale(t)
        if t in INTEGER_TYPES or (scale is not None and scale <= 2):
            return f"TRY_CAST({c} AS DECIMAL(18,2))"
        if scale is not None:
            return f"(CASE WHEN {c} = round({c}, 2) THEN TRY_CAST({c} AS DECIMAL(18,2)) END)"
        if t in FLOAT_TYPES:
            if ctx.float_money != "round":
                raise InputError(f"column {column!r} holds money as floating-point numbers ({t}), which are not "
                                 "exact cents; write it as DECIMAL or text, or pass --float-money round to round "
                                 "it half away from zero to the cent (recorded in the manifest)",
                                 path=ctx.where, field=column)
            return f"(CASE WHEN isfinite({c}) THEN TRY_CAST(round({c}, 2) AS DECIMAL(18,2)) END)"
        raise InputError(f"column {column!r} has type {t}: money must be decimal text, DECIMAL or an integer",
                         path=ctx.where, field=column)

    def instant(column: str) -> str:
        c, t = quote_ident(column), kind_of(column)
        if t in TEXT_TYPES:
            if zone:  # _ts_naive: the reader's own test for text without an offset
                return (f"(CASE WHEN _ts_naive THEN timezone({quote_literal(zone)}, TRY_CAST(trim({c}) AS TIMESTAMP)) "
                        f"ELSE TRY_CAST(trim({c}) AS TIMESTAMPTZ) END)")
            return f"TRY_CAST(trim({c}) AS TIMESTAMPTZ)"
        if t == "TIMESTAMP WITH TIME ZONE":
            return c
        if t.startswith("TIMESTAMP"):
            if zone:
                return f"timezone({quote_literal(zone)}, CAST({c} AS TIMESTAMP))"
            return f"CAST({c} AS TIMESTAMPTZ)"  # naive: read in the session zone (--tz)
        raise InputError(f"column {column!r} has type {t}: an instant must be a timestamp (ISO 8601 text, "
                         "TIMESTAMPTZ, or TIMESTAMP with --tz); epoch numbers need a mapping "
                         "(ts = {{ column = \"...\", epoch = \"ms\" }})", path=ctx.where, field=column)

    return {"money": money, "given": given, "text": text, "instant": instant}


def _placeholders(kind: Kind, in_place: bool = False) -> dict[str, str]:
    content = [quote_ident(c) for c in kind.content]
    return {
        "table": quote_ident(kind.table),
        "key": quote_ident(kind.key),
        "key_name": quote_literal(kind.key),
        "row": "(" + ", ".join(content) + ")",
        "raw": "struct_pack(" + ", ".join(f"{quote_ident(c)} := {quote_ident(c)}" for c in (kind.key, *kind.content)) + ")",
        "columns": ", ".join(quote_ident(c) for c in _table_columns(kind)),
        "stage": "_stage_dups" if in_place else "_stage",
        "loaded": quote_ident(kind.table),
        "target": quote_ident(kind.table),
    }


def _table_columns(kind: Kind) -> tuple[str, ...]:
    """The target table's columns before file_id and line."""
    if kind is TRANSACTIONS:
        return kind.columns
    if kind is CONFIG_CHANGES:
        return ("change_id", "ts", "campaign_id", "actor", "approver", "ticket", "action", "version", "config",
                "discount_type", "discount_value", "max_discount", "min_amount", "scenes", "enabled",
                "object", "config_raw", "previous_raw", "source_format", "seq")
    return ("event_id", *kind.columns)


