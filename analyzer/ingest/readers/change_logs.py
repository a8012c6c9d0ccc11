"""What the readers of config-centre and cluster logs share (apollo.py, nacos.py, k8s_audit.py).

Their files are small tables (a database's change history) or big logs with few changes in them
(an apiserver's audit log), and a change is found by looking at more than one record: the next
history row of the same config, the release a history row points at, the previous state of the
same ConfigMap, sometimes in a second file of the same command (`ReadContext.companions`). So
these readers do not hand the loader a position-numbered relation; they number every record of
the file first (`records_table`: its position and its line in the file), select and pair the
records in SQL, and give every change its own line. Records that are not changes are counted as
skipped; records that cannot be read are quarantined with a message (`Lines.reader_rejects`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from analyzer.errors import InputError
from analyzer.ingest.readers.base import (Lines, ReadContext, columns_sql, count_lines, csv_lines, csv_reader_rejects,
                                          csv_source, open_text, prepare_text, select)
from analyzer.ingest.sniff import Sample
from analyzer.ingest.sniff import sample as sniff_sample
from analyzer.sql import quote_ident, quote_literal


@dataclass(frozen=True)
class CsvRecords:
    """A CSV file as a temp table: every well-formed record with `_pos` (0-based, file order),
    `_line` (its first line in the file) and every column as text."""

    table: str
    header: tuple[str, ...]
    lines: Lines      # only reader_rejects (records not even split) and blank lines are left in it


def header_of(sample: Sample) -> set[str]:
    """The column names of a CSV sample's header line (backquotes and spaces stripped)."""
    from analyzer.ingest.readers.canonical_csv import header_names

    if sample.parquet or sample.json is not None:
        return set()
    return {n.strip("`").strip() for n in header_names(sample)}


def csv_records(ctx: ReadContext, table: str) -> CsvRecords:
    """Read the file of `ctx` into `table` (parallel, with DuckDB; lines counted as base.csv_lines
    counts them, so quoted multi-line values keep every record's own line)."""
    prepared = prepare_text(ctx)
    source = csv_source(ctx, prepared)
    db = ctx.db
    db.execute(f"CREATE OR REPLACE TEMP TABLE {quote_ident(table + '_read')} AS "
               f"SELECT row_number() OVER () - 1 AS _pos, * FROM {source.relation}").fetchall()
    rows = db.scalar(f"SELECT count(*) FROM {quote_ident(table + '_read')}")
    lines = csv_lines(ctx, source, rows, csv_reader_rejects(ctx))
    by_pos = line_by_position(lines, rows, prepared.header_line + 1)
    small_table(ctx, "_record_lines", {"_pos": ("BIGINT", list(range(rows))), "_line": ("BIGINT", by_pos)})
    db.execute(f"CREATE OR REPLACE TEMP TABLE {quote_ident(table)} AS SELECT r.*, l._line "
               f"FROM {quote_ident(table + '_read')} r JOIN _record_lines l USING (_pos) ORDER BY _pos").fetchall()
    db.execute(f"DROP TABLE {quote_ident(table + '_read')}").fetchall()
    return CsvRecords(table, source.header, Lines(reader_rejects=lines.reader_rejects, blank=lines.blank))


def export_records(ctx: ReadContext, table: str, required: Sequence[str], export: str) -> tuple[CsvRecords, set[str]]:
    """`csv_records` of a config centre's table export, and its header, after checking the export
    has every `required` column (`export` names the table in the error: an Apollo ReleaseHistory)."""
    records = csv_records(ctx, table)
    header = set(records.header)
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"{export} export without the column {missing[0]!r}", path=ctx.where, field=missing[0])
    return records, header


def line_by_position(lines: Lines, rows: int, first_line: int) -> list[int]:
    """The line of each of `rows` records, from what base.csv_lines found: a line per record,
    or thresholds that shift the records after a rejected line (as stage_lines.sql applies them)."""
    if lines.line_map is not None:
        return list(lines.line_map)
    shifts = sorted(lines.shifts)
    return [first_line + pos + bisect_right(shifts, first_line + pos) for pos in range(rows)]


def jsonl_line_numbers(path, positions: Sequence[int], rows: int) -> dict[int, int]:
    """The line of the records at `positions` (1-based among the non-blank lines) of a JSON-lines
    file of `rows` such records: their position, unless blank lines shift them."""
    if count_lines(path) == rows:
        return {p: p for p in positions}
    wanted, found, n = set(positions), {}, 0
    with open_text(path, "utf-8") as fh:
        for line_no, text in enumerate(fh, 1):
            if text.strip():
                n += 1
                if n in wanted:
                    found[n] = line_no
    return found


def small_table(ctx: ReadContext, name: str, columns: dict[str, tuple[str, list]]) -> None:
    """A temp table from a few Python values (column -> (SQL type, values)), bound as list
    parameters: the values never enter the SQL text."""
    select = ", ".join(f"unnest(CAST($c{n} AS {sql_type}[])) AS {quote_ident(column)}"
                       for n, (column, (sql_type, _values)) in enumerate(columns.items()))
    params = {f"c{n}": values for n, (_type, values) in enumerate(columns.values())}
    ctx.db.execute(f"CREATE OR REPLACE TEMP TABLE {quote_ident(name)} AS SELECT {select}", params).fetchall()


def companions(ctx: ReadContext, accepts: Callable[[Sample], bool]) -> Iterator[ReadContext]:
    """A ReadContext for each other file of this command that `accepts` takes (the other table of
    the same source). A file that cannot even be sampled is left to its own turn, which reports it."""
    encoding = None if ctx.sample.encoding_detected else ctx.sample.encoding
    for n, src in enumerate(ctx.companions):
        try:
            sample = sniff_sample(src.path, encoding)
        except InputError:
            continue
        if accepts(sample):
            workdir = ctx.workdir / f"companion-{n}"
            workdir.mkdir(exist_ok=True)
            yield replace(ctx, src=src, sample=sample, workdir=workdir, companions=())


def text_column(header: set[str] | tuple[str, ...], name: str) -> str:
    """A column of a CSV record table as trimmed text, or NULL when the file has no such column."""
    return f"NULLIF(trim({quote_ident(name)}), '')" if name in header else "CAST(NULL AS VARCHAR)"


def raw_json(header: Sequence[str]) -> str:
    """The record as JSON text (for the rejects table)."""
    return ("CAST(to_json(struct_pack(" + ", ".join(f"{quote_ident(h)} := {quote_ident(h)}" for h in header)
            + ")) AS VARCHAR)")


def reader_rejects(ctx: ReadContext, table: str) -> tuple[tuple[int, str, str], ...]:
    """(line, raw, message) of the records a reader's SQL marked `_kind = 'reject'` in `table`."""
    return tuple((int(line), str(raw), str(why)) for line, raw, why in ctx.db.rows(
        f"SELECT _line, _raw, _why FROM {quote_ident(table)} WHERE _mine AND _kind = 'reject' ORDER BY _line"))


def skipped(ctx: ReadContext, table: str) -> int:
    return int(ctx.db.scalar(f"SELECT count(*) FROM {quote_ident(table)} WHERE _mine AND _kind = 'skip'"))


# the canonical columns a config-log reader's SQL computes itself (campaign_id, config and
# approver come from the mapping: [[campaigns]], or a [config_changes] field)
OWN_COLUMNS = ("change_id", "ts", "actor", "action", "version", "ticket", "object", "config_raw", "previous_raw",
               "source_format", "seq")


def changes_relation(ctx: ReadContext, table: str, source_columns: Sequence[str], *,
                     access: Callable[[str], str] | None = None, malformed: str = "false",
                     kinds: tuple[str, ...] = ("change",)) -> str:
    """The relation the loader stages: the records of `table` that are changes (and those it must
    quarantine as malformed), with the canonical columns: the mapping's fields first (a
    `[config_changes]` field reads the source's columns, or with `sql` any column of `table`),
    else the reader's own."""
    names = set(source_columns)

    def column(path: str) -> str:
        if path not in names:
            raise InputError(f"the mapping names a column {path!r} that these records do not have "
                             f"(columns: {', '.join(source_columns)})", path=ctx.where)
        return quote_ident(path)

    own = {c: quote_ident(c) for c in OWN_COLUMNS}
    columns = columns_sql(ctx, own, access or column, lambda _c: False)
    wanted = ", ".join(quote_literal(k) for k in kinds)
    return select(columns, line="_line", malformed=malformed, raw="_raw",
                  source=f"(SELECT * FROM {quote_ident(table)} WHERE _mine AND _kind IN ({wanted}))")
