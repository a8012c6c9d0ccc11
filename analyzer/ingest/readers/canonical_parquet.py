"""Canonical Parquet (DESIGN.md's columns, typed or as text, or any columns with a mapping; a
dotted path reaches into a struct column). Columns keep their types: money as DECIMAL or
integers (floating-point money is refused unless `--float-money round`), instants as TIMESTAMPTZ,
or TIMESTAMP read in --tz."""

from __future__ import annotations

from analyzer.db import first_line
from analyzer.errors import InputError
from analyzer.ingest.readers.base import ReadContext, Reader, Staged, check_required, columns_sql, select
from analyzer.ingest.sniff import Sample
from analyzer.sql import quote_ident, quote_literal


def sniff(sample: Sample) -> int:
    return 10 if sample.parquet and not sample.compressed else 0


def parquet_relation(paths: list[str]) -> str:
    files = "[" + ", ".join(quote_literal(p) for p in paths) + "]"
    return f"read_parquet({files}, file_row_number = true)"


def schema(ctx: ReadContext, relation: str) -> dict[str, str]:
    try:
        found = dict(ctx.db.rows(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {relation})"))
    except Exception as exc:  # noqa: BLE001 - DuckDB's own error for an unreadable file, said in one line
        raise InputError(f"cannot read as Parquet: {first_line(exc)}", path=ctx.where) from exc
    found.pop("file_row_number", None)
    return found


def struct_access(columns: dict[str, str], where: str):
    def access(path: str) -> str:
        if path in columns:
            return quote_ident(path)
        head, *rest = path.split(".")
        if head in columns and rest and columns[head].upper().startswith("STRUCT"):
            return ".".join(quote_ident(p) for p in [head, *rest])
        raise InputError(f"the mapping names a column {path!r} that the file does not have "
                         f"(columns: {', '.join(columns)})", path=where)
    return access


def stage(ctx: ReadContext) -> Staged:
    if not ctx.sample.parquet or ctx.sample.compressed:
        raise InputError("not a Parquet file", path=ctx.where)
    relation = parquet_relation([str(ctx.src.path)])
    columns = schema(ctx, relation)
    present = columns.__contains__
    check_required(ctx, present)
    selected = columns_sql(ctx, {}, struct_access(columns, ctx.where), present)
    ts_type = columns.get("ts", "VARCHAR").upper() if "ts" not in ctx.fields else "VARCHAR"
    if ts_type == "TIMESTAMP WITH TIME ZONE":
        naive = "false"
    elif ts_type.startswith("TIMESTAMP"):
        naive = f"({selected['ts']} IS NOT NULL)"
    else:
        naive = None
    raw = "struct_pack(" + ", ".join(f"{quote_ident(h)} := {quote_ident(h)}" for h in columns) + ")"
    return Staged(select(selected, line="file_row_number + 1", malformed="false", raw=raw, source=relation,
                         naive=naive))


READER = Reader(
    name="canonical-parquet",
    kinds=("transactions", "config_changes", "events"),
    recognises="Parquet files (typed columns: DECIMAL or integer money, TIMESTAMPTZ instants; or text)",
    example="analyzer ingest --db incident.duckdb --transactions payments.parquet",
    sniff=sniff,
    stage=stage,
    mapping="columns and struct fields by dotted paths; integer cents; epoch numbers (README, Your data)",
)
