"""What a reader is, and the machinery readers share: preparing text, reading CSV and JSON with
DuckDB, exact JSON numbers, line numbers that are the file's own.

A reader turns one file into a relation (a SELECT) with the canonical columns of its kind plus:
  _line       the line of the row in the file (header = line 1; a JSON array: the record's
              number; Parquet: the row number). NULL for CSV: the loader numbers CSV rows by
              their position (stage_lines.sql), which keeps the parse parallel
  _malformed  the row could not be read at all (not a JSON object)
  _raw        the row as read, for the rejects table (`raw_sql` turns it into text)
  _ts_naive   the row's `ts` is text without an offset (it needs --tz)
Columns are text for text formats and typed for Parquet; parsing and validation are shared
(analyzer/sql/ingest/stage_*.sql), so every reader quarantines the same way.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzer.db import Database, first_line
from analyzer.errors import InputError
from analyzer.ingest.kinds import Kind
from analyzer.ingest.mapping import FieldSpec, Mapping_, field_sql
from analyzer.ingest.sniff import Sample
from analyzer.sql import quote_ident, quote_literal

# A string timestamp with an offset or Z; anything else is naive.
OFFSET_RE = r"([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)\s*$"
BLOCK = 1 << 20


@dataclass(frozen=True)
class SourceFile:
    path: Path
    sha256: str
    size_bytes: int


@dataclass
class ReadContext:
    db: Database
    src: SourceFile
    sample: Sample
    kind: Kind
    mapping: Mapping_
    tz: str | None            # --tz, else the mapping's tz
    workdir: Path             # a temporary directory for prepared text
    float_money: str | None   # None (refuse floating-point money) or "round"
    # the other files of the same kind in this command: a source whose log spans two tables
    # (Nacos his_config_info + config_info, Apollo ReleaseHistory + Release) reads its siblings
    companions: tuple[SourceFile, ...] = ()

    @property
    def fields(self) -> Mapping[str, FieldSpec]:
        return self.mapping.for_kind(self.kind.name)

    @property
    def where(self) -> str:
        return str(self.src.path)


@dataclass(frozen=True)
class Lines:
    """How the staged rows get the file's own line numbers (known once the file was scanned)."""

    shifts: tuple[int, ...] = ()             # thresholds for stage_lines.sql (rows after a skipped line)
    line_map: tuple[int, ...] | None = None  # or: the line of every row, by position (counted in Python)
    reader_rejects: tuple[tuple[int, str, str], ...] = ()  # (line, raw line, message): rows not even split
    blank: int = 0                           # blank lines (not rows)


@dataclass(frozen=True)
class Staged:
    relation: str
    raw_sql: str = "CAST(to_json(_raw) AS VARCHAR)"
    skipped: int = 0                         # lines that are not rows: preamble, trailer, summary, other objects
    first_line: int = 2                      # position-numbered rows: the line of the first one
    finish: Callable[[int], Lines] | None = None  # given the rows staged: their lines
    notes: tuple[str, ...] = ()
    zone: str | None = None                  # the zone the format itself writes naive times in (without --tz)


@dataclass(frozen=True)
class Reader:
    """One input format. `sniff` scores a sample (0: not mine; higher: more specific); `stage`
    builds the relation."""

    name: str
    kinds: tuple[str, ...]       # the kinds of input it produces
    recognises: str              # one line for `analyzer formats`
    example: str                 # an example command
    sniff: Callable[[Sample], int]
    stage: Callable[[ReadContext], Staged]
    mapping: str = ""            # what the mapping file may add (for `analyzer formats`)


# --- text ---------------------------------------------------------------------------------------
def open_text(path: Path, encoding: str) -> io.TextIOBase:
    raw = gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb")
    return io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


@dataclass(frozen=True)
class Prepared:
    path: Path                 # what DuckDB reads: the file itself, or a UTF-8 copy without the skipped lines
    header_line: int           # the header's line in the original file (1 when nothing precedes it)
    skipped: int               # preamble + trailer lines left out
    data_lines: int            # physical lines between the header and the trailer


def prepare_text(ctx: ReadContext, *, header: Callable[[str], bool] | None = None,
                 trailer: Callable[[str], bool] | None = None, clean: Callable[[str], str] | None = None) -> Prepared:
    """The file as UTF-8 text DuckDB can read: decoded from its encoding, its preamble (the lines
    before the first one `header` accepts) and trailer (from the first later line `trailer`
    accepts) left out and counted, each line passed through `clean`. A UTF-8 file with nothing
    to leave out is read as it is: only its lines are counted (for the line numbers)."""
    enc = ctx.sample.encoding
    if enc in ("utf-8", "utf-8-sig") and header is None and trailer is None and clean is None:
        lines, crlf, newlines = count_lines(ctx.src.path, crlf=True)
        if not 0 < crlf < newlines:
            return Prepared(ctx.src.path, 1, 0, lines - 1)
        # CRLF and LF lines mixed (files concatenated from two systems) stop DuckDB's strict
        # CSV parser: a copy with every line ending LF is read instead
        clean = _lf
    elif ctx.sample.text.count("\r\n") not in (0, ctx.sample.text.count("\n")):
        clean = (lambda line, inner=clean: _lf(inner(line) if inner else line))  # noqa: E731
    out_path = ctx.workdir / (ctx.src.path.name.removesuffix(".gz") + ".utf8")
    header_line, skipped, data_lines, seen_header, in_trailer, n = 1, 0, 0, header is None, False, 0
    try:
        with open_text(ctx.src.path, enc) as fin, open(out_path, "w", encoding="utf-8", newline="") as fout:
            for n, line in enumerate(fin, 1):
                if n == 1 and line.startswith("\ufeff"):
                    line = line[1:]
                text = line.rstrip("\r\n")
                if not seen_header:
                    if header(text):  # type: ignore[misc]
                        seen_header, header_line = True, n
                        fout.write(clean(line) if clean else line)
                    else:
                        skipped += 1
                    continue
                if n > header_line and (in_trailer or (trailer is not None and trailer(text))):
                    in_trailer = True
                    skipped += 1
                    continue
                if n > header_line:
                    data_lines += 1
                fout.write(clean(line) if clean else line)
    except UnicodeDecodeError as exc:
        raise InputError(f"bytes that are not valid {enc}; pass --encoding", path=ctx.where, line=n + 1) from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read: {first_line(exc)}", path=ctx.where, line=n or None) from exc
    if not seen_header:
        raise InputError("no header line found", path=ctx.where)
    return Prepared(out_path, header_line, skipped, data_lines)


def _lf(line: str) -> str:
    return line.rstrip("\r\n") + "\n" if line.endswith(("\r", "\n")) else line


def count_lines(path: Path, *, crlf: bool = False):
    """Physical lines of the (decompressed) file: newlines, plus a last line without one; with
    `crlf`, also how many end CRLF and how many newlines there are."""
    count, windows, last, tail = 0, 0, b"\n", b""
    try:
        with (gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb")) as fh:
            while block := fh.read(BLOCK):
                count += block.count(b"\n")
                if crlf:
                    windows += (tail + block).count(b"\r\n")
                    tail = block[-1:]
                last = block[-1:]
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"the file is cut short or cannot be read: {first_line(exc)}", path=str(path)) from exc
    lines = count + (last != b"\n")
    return (lines, windows, count) if crlf else lines


# --- CSV ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CsvSource:
    """A CSV file (prepared) read by DuckDB with every column as text."""

    relation: str          # read_csv(...) with store_rejects into _reader_rejects
    header: tuple[str, ...]
    delim: str
    prepared: Prepared


def csv_source(ctx: ReadContext, prepared: Prepared, *, delim: str | None = None) -> CsvSource:
    """Delimiter and column names from the header line; DuckDB's sniffer is not used: it can be
    misled by the very malformed rows that must be quarantined."""
    with open_text(prepared.path, "utf-8") as fh:
        head = fh.readline().lstrip("\ufeff").rstrip("\r\n")
    if not head.strip():
        raise InputError("empty file or empty header line", path=ctx.where, line=prepared.header_line)
    delim = delim or max(",\t;|", key=head.count)
    names = tuple(n.strip().strip("`").strip() for n in next(csv.reader([head], delimiter=delim)))
    if len(set(names)) != len(names):
        raise InputError("the header names a column twice", path=ctx.where, line=prepared.header_line)
    columns = "{" + ", ".join(f"{quote_literal(n)}: 'VARCHAR'" for n in names) + "}"
    relation = (f"read_csv({quote_literal(str(prepared.path))}, columns = {columns}, header = true, "
                f"auto_detect = false, delim = {quote_literal(delim)}, quote = '\"', escape = '\"', "
                "strict_mode = true, store_rejects = true, rejects_table = '_reader_rejects', "
                "rejects_scan = '_reader_scans')")
    return CsvSource(relation, names, delim, prepared)


def csv_reader_rejects(ctx: ReadContext) -> list[tuple[int, str, str]]:
    """(line, raw line, message) of rows the CSV reader itself could not split."""
    if not ctx.db.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = '_reader_rejects'"):
        return []
    rows = ctx.db.rows("""
        SELECT line, any_value(csv_line), any_value(error_type), string_agg(error_message, '; ')
        FROM _reader_rejects WHERE scan_id = (SELECT max(scan_id) FROM _reader_scans)
        GROUP BY line ORDER BY line""")
    for line, _raw, error_type, _message in rows:
        if "ENCODING" in str(error_type).upper() or "UNICODE" in str(error_type).upper():
            raise InputError("bytes that are not valid UTF-8; pass --encoding (for example --encoding gbk "
                             "for Chinese exports)", path=ctx.where, line=line)
    return [(int(line), str(raw).strip("\r\n"), f"{etype.lower().replace('_', ' ')}: {msg}")
            for line, raw, etype, msg in rows]


def csv_lines(ctx: ReadContext, source: CsvSource, rows: int, rejects: list[tuple[int, str, str]]) -> Lines:
    """How the staged CSV rows get the file's own line numbers.

    Fast path: when the data part has exactly one line per row (and per rejected line), a row's
    line is its position after the header, shifted by the rejected lines before it. Otherwise (a
    quoted field with a line break, blank lines) the lines are counted by Python's csv module."""
    prepared = source.prepared
    if prepared.data_lines == rows + len(rejects):
        return csv_lines_fallback(prepared, rejects)
    well_formed: list[int] = []
    malformed: list[int] = []
    blank = 0
    width = len(source.header)
    with open_text(prepared.path, "utf-8") as fh:
        reader = csv.reader(fh, delimiter=source.delim, quotechar='"', doublequote=True, strict=False)
        next(reader, None)
        start = reader.line_num + 1
        for record in reader:
            if not record or record == [""]:
                blank += 1
            elif len(record) == width:
                well_formed.append(start + prepared.header_line - 1)
            else:
                malformed.append(start + prepared.header_line - 1)
            start = reader.line_num + 1
    if len(well_formed) != rows or len(malformed) != len(rejects):
        # the two parsers disagree on the records: keep DuckDB's numbering, flagged in the notes
        return csv_lines_fallback(prepared, rejects)
    fixed = tuple((line, raw, msg) for line, (_l, raw, msg) in zip(malformed, sorted(rejects)))
    return Lines((), tuple(well_formed), fixed, blank)


def csv_lines_fallback(prepared: Prepared, rejects: list[tuple[int, str, str]]) -> Lines:
    """Lines by position: DuckDB counts the prepared text's header as line 1; the file's own
    lines are `offset` further (the preamble). The j-th rejected line L shifts every row whose
    position-derived line is >= L - j by one."""
    offset = prepared.header_line - 1
    lines = sorted(line + offset for line, _raw, _msg in rejects)
    return Lines(tuple(line - j for j, line in enumerate(lines)), None,
                 tuple((line + offset, raw, msg) for line, raw, msg in rejects))


# --- JSON ---------------------------------------------------------------------------------------
def jsonl_lines(path: Path) -> str:
    """Every line of a JSON-lines file as one text column `j`: chr(31) never appears raw in valid
    JSON, so no line is split; empty lines are left out by the reader (and counted apart)."""
    return (f"read_csv({quote_literal(str(path))}, columns = {{'j': 'VARCHAR'}}, "
            "delim = chr(31), quote = '', escape = '', header = false, auto_detect = false, "
            "strict_mode = false, null_padding = true)")


def load_document(ctx: ReadContext) -> Any:
    """The whole file as one parsed JSON document, every number kept as the exact text it was
    written with (as a JSON string: 12.30 stays "12.30")."""
    try:
        with open_text(ctx.src.path, ctx.sample.encoding) as fh:
            return json.load(fh, parse_float=str, parse_int=str)
    except ValueError as exc:
        raise InputError(f"not valid JSON: {exc}", path=ctx.where) from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read: {first_line(exc)}", path=ctx.where) from exc


def write_records(ctx: ReadContext, records: list[Any]) -> Path:
    """Records as a JSON-lines file in the work directory, one per line."""
    out = ctx.workdir / (ctx.src.path.name.removesuffix(".gz") + ".jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    return out


def records_to_jsonl(ctx: ReadContext, wrapper: str | None) -> Path:
    """A JSON array or document (API response) as JSON lines, one record per line."""
    doc = load_document(ctx)
    if wrapper is not None and isinstance(doc, dict):
        records = doc.get(wrapper)
    elif isinstance(doc, dict):
        records = next((v for v in doc.values() if isinstance(v, list)), [doc])
    else:
        records = doc
    if not isinstance(records, list):
        raise InputError("a JSON document without a list of records", path=ctx.where)
    return write_records(ctx, records)


def json_path(path: str) -> str:
    """A dotted path as a DuckDB JSON path: order.amount -> $."order"."amount"."""
    return "$." + ".".join('"' + part.replace('"', '\\"') + '"' for part in path.split("."))


def json_text(j: str, path: str, *, exact_number: bool) -> str:
    """SQL reading a value of the JSON text column `j` as text. JSON numbers pass through a
    double inside DuckDB, so a money value written as a JSON number is read from the line's own
    text: the token after its key, when the key occurs once in the line and the token is that
    same number; otherwise the row gets 'inexact:' text, which is quarantined (bad_money), never a
    rounded value."""
    jp = quote_literal(json_path(path))
    text = f"json_extract_string({j}, {jp})"
    if not exact_number:
        return text
    leaf = path.split(".")[-1]
    pattern = quote_literal('"' + _re_escape(leaf) + r'"\s*:\s*(-?[0-9][0-9.eE+-]*)')
    tokens = f"regexp_extract_all({j}, {pattern}, 1)"
    return (f"(CASE WHEN json_type({j}, {jp}) = 'DOUBLE' THEN "
            f"CASE WHEN len({tokens}) = 1 AND TRY_CAST({tokens}[1] AS DOUBLE) = CAST(json_extract({j}, {jp}) AS DOUBLE) "
            f"THEN {tokens}[1] ELSE 'inexact: a JSON number that cannot be read exactly here; write it as a string' END "
            f"ELSE {text} END)")


def _re_escape(text: str) -> str:
    return "".join("\\" + c if c in r".^$*+?()[]{}|\\" else c for c in text)


def json_valid_object(j: str) -> str:
    # CASE, not AND: DuckDB evaluates both sides of AND, and json_type() of invalid JSON is an error.
    return f"(CASE WHEN json_valid({j}) THEN json_type({j}) = 'OBJECT' ELSE false END)"


# --- the relation -------------------------------------------------------------------------------
def naive_expr(ts_sql: str) -> str:
    """A text instant without an offset that reads as a timestamp (so it needs a zone); text that
    is no timestamp at all is left to the validation (bad_timestamp)."""
    text = f"trim(CAST({ts_sql} AS VARCHAR))"
    return (f"(NULLIF({text}, '') IS NOT NULL AND NOT regexp_matches({text}, {quote_literal(OFFSET_RE)}) "
            f"AND TRY_CAST({text} AS TIMESTAMP) IS NOT NULL)")


def columns_sql(ctx: ReadContext, own: Mapping[str, str], access: Callable[[str], str],
                present: Callable[[str], bool]) -> dict[str, str]:
    """canonical column -> SQL: the user's mapping first, then the reader's own expressions,
    then the canonical name itself when the source has such a column, else NULL."""
    out: dict[str, str] = {}
    for column in ctx.kind.columns:
        spec = ctx.fields.get(column)
        if spec is not None:
            out[column] = field_sql(spec, access, default_tz=ctx.tz)
        elif column in own:
            out[column] = own[column]
        elif present(column):
            out[column] = access(column)
        else:
            out[column] = "CAST(NULL AS VARCHAR)"
    if ctx.mapping.currency and "currency" in out and ctx.fields.get("currency") is None and "currency" not in own \
            and not present("currency"):
        out["currency"] = quote_literal(ctx.mapping.currency)
    return out


def check_required(ctx: ReadContext, present: Callable[[str], bool], own: Iterable[str] = ()) -> None:
    """Every required column is there (or mapped); when one is missing and the columns are those
    of another kind of input, say which kind it is."""
    from analyzer.ingest.kinds import KINDS
    from analyzer.ingest.readers import FLAGS, KIND_WORDS

    given = set(own) | set(ctx.fields)
    for column in ctx.kind.required:
        if column in given or present(column):
            continue
        other = next((k for k in KINDS.values() if k is not ctx.kind and k.signature
                      and all(present(c) for c in k.signature)), None)
        if other is not None:
            raise InputError(f"this looks like {KIND_WORDS[other.name]} (it has {', '.join(other.signature)}), "
                             f"not {KIND_WORDS[ctx.kind.name]}; pass it with {FLAGS[other.name]}",
                             path=ctx.where, field=column)
        raise InputError(f"missing required column {column!r} (map one of your columns onto it with --mapping)",
                         path=ctx.where, field=column)


def select(columns: Mapping[str, str], *, line: str, malformed: str, raw: str, source: str,
           where: str | None = None, naive: str | None = None) -> str:
    cols = ", ".join(f"{sql} AS {quote_ident(name)}" for name, sql in columns.items())
    ts = columns.get("ts", "NULL")
    return (f"SELECT {line} AS _line, {malformed} AS _malformed, {raw} AS _raw, "
            f"{naive if naive is not None else naive_expr(ts)} AS _ts_naive, {cols} FROM {source}"
            + (f" WHERE {where}" if where else ""))

