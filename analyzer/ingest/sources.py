"""Readers: one input file (CSV, CSV.gz, JSONL, Parquet) -> the temp view `_stage_raw`.

The view has the canonical column names of its kind (after the user's mapping), untyped
(text) for text formats and as stored for Parquet, plus:
  _line       the line of the row in the file (header = line 1; Parquet: row number; CSV:
              NULL, numbered by the loader from the row's position in the staged table)
  _malformed  the row could not be read at all (invalid JSON)
  _raw        the row as read, for the rejects table: a struct of the columns (CSV, Parquet) or
              the line (JSONL); `raw_sql` turns it into the text stored in `rejects`. It is a
              struct, not JSON text, so that only the rows that are rejected pay for the JSON
  _ts_naive   the row's `ts` carries no offset (needs --tz)
Parsing and validation happen in SQL afterwards (analyzer/sql/stage_*.sql).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import json

import tempfile
from dataclasses import dataclass
from pathlib import Path

from analyzer.db import Database
from analyzer.sql import quote_ident, quote_literal
from analyzer.errors import InputError
from analyzer.ingest.kinds import Kind

FORMATS = {".csv": "csv", ".csv.gz": "csv.gz", ".jsonl": "jsonl", ".ndjson": "jsonl",
           ".jsonl.gz": "jsonl.gz", ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
UTF8 = {"utf-8", "utf8"}
# A string timestamp with an offset or Z; anything else is naive.
OFFSET_RE = r"([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)\s*$"
JSONL_SAMPLE_LINES = 10_000


@dataclass(frozen=True)
class SourceFile:
    path: Path
    kind: Kind
    format: str
    sha256: str
    size_bytes: int


def detect_format(path: Path) -> str:
    name = path.name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return FORMATS[suffix]
    raise InputError("unknown format (expected .csv, .csv.gz, .jsonl, .jsonl.gz or .parquet)",
                     path=str(path))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe(path: str | Path, kind: Kind) -> SourceFile:
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=str(path))
    if not path.is_file():
        raise InputError("not a file", path=str(path))
    fmt = detect_format(path)
    return SourceFile(path=path.resolve(), kind=kind, format=fmt, sha256=sha256_of(path),
                      size_bytes=path.stat().st_size)


def transcode_to_utf8(path: Path, encoding: str, workdir: str) -> Path:
    """Stream a non-UTF-8 text file (GBK exports, say) into a UTF-8 temp file."""
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise InputError(f"unknown encoding {encoding!r}", path=str(path)) from exc
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    out = Path(workdir) / (path.name.removesuffix(".gz") + ".utf8")
    line = 1
    with opener(path, "rb") as src, open(out, "w", encoding="utf-8", newline="") as dst:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        for block in iter(lambda: src.read(1 << 20), b""):
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as exc:
                line += block[: exc.start].count(b"\n")
                raise InputError(f"bytes that are not valid {encoding}; try another --encoding",
                                 path=str(path), line=line) from exc
            line += text.count("\n")
            dst.write(text)
        dst.write(decoder.decode(b"", final=True))
    return out


class StagedSource:
    """Creates `_stage_raw` for one file; remembers what the reader itself rejected."""

    def __init__(self, db: Database, src: SourceFile, mapping: dict[str, str], encoding: str):
        self.db, self.src, self.mapping = db, src, mapping
        self.encoding = encoding.lower()
        self._tmp = tempfile.TemporaryDirectory(prefix="analyzer-ingest-")
        self.read_path = src.path
        if self.encoding not in UTF8 and src.format != "parquet":
            self.read_path = transcode_to_utf8(src.path, self.encoding, self._tmp.name)

    def close(self) -> None:
        self._tmp.cleanup()

    @property
    def raw_sql(self) -> str:
        """SQL that makes the text of `_raw` for the rejects table (a fixed fragment)."""
        return "_raw" if self.src.format.startswith("jsonl") else "CAST(to_json(_raw) AS VARCHAR)"

    def source_name(self, column: str) -> str:
        return self.mapping.get(column, column)

    def _check_required(self, present: set[str]) -> None:
        for column in self.src.kind.required:
            if self.source_name(column) not in present:
                mapped = self.source_name(column)
                hint = f" (mapped from {mapped!r})" if mapped != column else ""
                raise InputError(f"missing required column {column!r}{hint}",
                                 path=str(self.src.path), field=column)

    def create_view(self) -> None:
        fmt = self.src.format
        if fmt.startswith("csv"):
            self._csv_view()
        elif fmt.startswith("jsonl"):
            self._jsonl_view()
        else:
            self._parquet_view()

    # --- CSV ---------------------------------------------------------------------------
    def _csv_dialect(self) -> tuple[str, list[str]]:
        """Delimiter and column names, from the header line. We do not let DuckDB's sniffer
        guess: it can be misled by the very malformed rows we want to quarantine."""
        opener = gzip.open if self.read_path.name.lower().endswith(".gz") else open
        try:
            with opener(self.read_path, "rb") as fh:
                header = fh.readline().decode("utf-8-sig").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            raise InputError("bytes that are not valid UTF-8; pass --encoding (for example --encoding gbk "
                             "for Chinese exports)", path=str(self.src.path), line=1) from exc
        except OSError as exc:
            raise InputError(f"cannot read: {exc}", path=str(self.src.path)) from exc
        if not header.strip():
            raise InputError("empty file or empty header line", path=str(self.src.path), line=1)
        delim = max(",\t;|", key=header.count)
        names = next(csv.reader([header], delimiter=delim))
        return delim, [n.strip() for n in names]

    def _csv_reader(self, store_rejects: bool) -> str:
        delim, names = self._dialect
        columns = "{" + ", ".join(f"{quote_literal(n)}: 'VARCHAR'" for n in names) + "}"
        opts = (f"columns = {columns}, header = true, auto_detect = false, delim = {quote_literal(delim)}, "
                "quote = '\"', escape = '\"', strict_mode = true")
        if store_rejects:
            opts += ", store_rejects = true, rejects_table = '_reader_rejects', rejects_scan = '_reader_scans'"
        return f"read_csv({quote_literal(str(self.read_path))}, {opts})"

    def _csv_view(self) -> None:
        self._dialect = self._csv_dialect()
        header = self._dialect[1]
        if len(set(header)) != len(header):
            raise InputError("the header names a column twice", path=str(self.src.path), line=1)
        self._check_required(set(header))
        cols = []
        for column in self.src.kind.columns:
            name = self.source_name(column)
            cols.append(f"{quote_ident(name)} AS {column}" if name in header else f"NULL::VARCHAR AS {column}")
        raw = "struct_pack(" + ", ".join(f"{quote_ident(h)} := {quote_ident(h)}" for h in header) + ")"
        ts_naive = self._naive_expr("ts")
        # No line number here: row_number() OVER () would run the whole parse in one thread.
        # The loader numbers the rows by their position in the staged table instead.
        self.db.execute(f"""
            CREATE OR REPLACE TEMP VIEW _stage_raw AS
            SELECT CAST(NULL AS BIGINT) AS _line, false AS _malformed, {raw} AS _raw,
                   {ts_naive} AS _ts_naive, {", ".join(cols)}
            FROM {self._csv_reader(True)}""").fetchall()

    def _naive_expr(self, column: str) -> str:
        name = quote_ident(self.source_name(column))
        return f"(NULLIF(trim({name}), '') IS NOT NULL AND NOT regexp_matches(trim({name}), {quote_literal(OFFSET_RE)}))"

    def reader_rejects(self) -> list[tuple[int, str, str]]:
        """(line, raw line, message) of rows the CSV reader itself could not split."""
        if not self.src.format.startswith("csv"):
            return []
        if not self.db.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = '_reader_rejects'"):
            return []
        rows = self.db.rows("""
            SELECT line, any_value(csv_line), any_value(error_type), string_agg(error_message, '; ')
            FROM _reader_rejects WHERE scan_id = (SELECT max(scan_id) FROM _reader_scans)
            GROUP BY line ORDER BY line""")
        for line, _raw, error_type, message in rows:
            if "ENCODING" in str(error_type).upper() or "UNICODE" in str(error_type).upper():
                raise InputError("bytes that are not valid UTF-8; pass --encoding (for example "
                                 "--encoding gbk for Chinese exports)", path=str(self.src.path), line=line)
        return [(int(line), str(raw).strip("\r\n"), f"{etype.lower().replace('_', ' ')}: {msg}")
                for line, raw, etype, msg in rows]

    # --- JSONL -------------------------------------------------------------------------
    def _jsonl_lines(self) -> str:
        # One column per line: chr(31) never appears raw in valid JSON, so no line is split.
        return (f"read_csv({quote_literal(str(self.read_path))}, columns = {{'j': 'VARCHAR'}}, "
                "delim = chr(31), quote = '', escape = '', header = false, auto_detect = false, "
                "strict_mode = false, null_padding = true)")

    def _jsonl_view(self) -> None:
        try:
            keys = {r[0] for r in self.db.rows(f"""
                SELECT DISTINCT unnest(json_keys(j)) FROM (
                    SELECT j FROM {self._jsonl_lines()}
                    WHERE CASE WHEN json_valid(j) THEN json_type(j) = 'OBJECT' ELSE false END LIMIT {JSONL_SAMPLE_LINES})""")}
        except Exception as exc:
            if "unicode" in str(exc).lower():
                raise InputError("bytes that are not valid UTF-8; pass --encoding (for example "
                                 "--encoding gbk)", path=str(self.src.path)) from exc
            raise InputError(f"cannot read as JSON lines: {first_line(exc)}", path=str(self.src.path)) from exc
        self._check_required(keys)
        names = {c: self.source_name(c) for c in self.src.kind.columns}
        spec = json.dumps({n: "VARCHAR" for n in names.values()})
        cols = ", ".join(f"_s[{quote_literal(n)}] AS {c}" for c, n in names.items())
        ts = f"_s[{quote_literal(names['ts'])}]"
        self.db.execute(f"""
            CREATE OR REPLACE TEMP VIEW _stage_raw AS
            WITH lines AS (
                SELECT row_number() OVER () AS _line, j FROM {self._jsonl_lines()}
            ), objects AS (
                -- CASE, not AND: DuckDB evaluates both sides of AND, and json_type() of
                -- invalid JSON is an error.
                SELECT _line, j, CASE WHEN json_valid(j) THEN json_type(j) = 'OBJECT' ELSE false END AS _ok
                FROM lines WHERE j IS NOT NULL AND trim(j) <> ''
            ), parsed AS (
                SELECT _line, j AS _raw, NOT _ok AS _malformed,
                       from_json(CASE WHEN _ok THEN j END, {quote_literal(spec)}) AS _s
                FROM objects
            )
            SELECT _line, _malformed, _raw,
                   (NULLIF(trim({ts}), '') IS NOT NULL AND NOT regexp_matches(trim({ts}), {quote_literal(OFFSET_RE)})) AS _ts_naive,
                   {cols}
            FROM parsed""").fetchall()

    # --- Parquet -----------------------------------------------------------------------
    def _parquet_view(self) -> None:
        reader = f"read_parquet({quote_literal(str(self.read_path))}, file_row_number = true)"
        try:
            schema = dict(self.db.rows(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {reader})"))
        except Exception as exc:
            raise InputError(f"cannot read as Parquet: {first_line(exc)}", path=str(self.src.path)) from exc
        schema.pop("file_row_number", None)
        self._check_required(set(schema))
        cols = []
        for column in self.src.kind.columns:
            name = self.source_name(column)
            cols.append(f"{quote_ident(name)} AS {column}" if name in schema else f"NULL::VARCHAR AS {column}")
        ts_type = schema.get(self.source_name("ts"), "VARCHAR").upper()
        ts_name = quote_ident(self.source_name("ts"))
        if ts_type == "TIMESTAMP WITH TIME ZONE":
            naive = "false"
        elif ts_type.startswith("TIMESTAMP"):
            naive = f"({ts_name} IS NOT NULL)"
        else:
            naive = self._naive_expr("ts")
        raw = "struct_pack(" + ", ".join(f"{quote_ident(h)} := {quote_ident(h)}" for h in schema) + ")"
        self.db.execute(f"""
            CREATE OR REPLACE TEMP VIEW _stage_raw AS
            SELECT file_row_number + 1 AS _line, false AS _malformed, {raw} AS _raw,
                   {naive} AS _ts_naive, {", ".join(cols)}
            FROM {reader}""").fetchall()


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


