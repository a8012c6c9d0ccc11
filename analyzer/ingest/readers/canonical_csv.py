"""Canonical CSV (DESIGN.md's columns, or any CSV with a mapping): `.csv` or `.csv.gz`, with a
header line, comma / tab / semicolon / pipe separated, RFC 4180 quotes. A config-change log
in CSV holds the config as JSON text in its `config` column."""

from __future__ import annotations

import csv

from analyzer.errors import InputError
from analyzer.ingest.readers.base import (ReadContext, Reader, Staged, check_required, columns_sql, csv_lines,
                                          csv_reader_rejects, csv_source, prepare_text, select)
from analyzer.ingest.sniff import Sample
from analyzer.sql import quote_ident


def header_names(sample: Sample) -> list[str]:
    first = next((ln for ln in sample.lines if ln.strip()), "").lstrip("\ufeff")
    if not first:
        return []
    delim = max(",\t;|", key=first.count)
    return [n.strip() for n in next(csv.reader([first], delimiter=delim))]


def sniff(sample: Sample) -> int:
    if sample.parquet or sample.json is not None or not sample.lines:
        return 0
    names = header_names(sample)
    return 10 if {"txn_id", "change_id", "ts"} & set(names) else 1


def own_columns(ctx: ReadContext, present) -> dict[str, str]:
    """The canonical config log names its object by its campaign and holds the raw config as is."""
    if ctx.kind.name != "config_changes":
        return {}
    own = {"source_format": "'canonical'"}
    if not present("object") and present("campaign_id"):
        own["object"] = quote_ident("campaign_id")
    if not present("config_raw") and present("config"):
        own["config_raw"] = quote_ident("config")
    return own


def stage(ctx: ReadContext) -> Staged:
    if ctx.sample.parquet:
        raise InputError("a Parquet file, not CSV", path=ctx.where)
    prepared = prepare_text(ctx)
    source = csv_source(ctx, prepared)
    header = set(source.header)

    def access(path: str) -> str:
        if path not in header:
            raise InputError(f"the mapping names a column {path!r} that the file does not have "
                             f"(columns: {', '.join(source.header)})", path=ctx.where, line=prepared.header_line)
        return quote_ident(path)

    def present(column: str) -> bool:
        return column in header

    own = own_columns(ctx, present)
    check_required(ctx, present, own)
    columns = columns_sql(ctx, own, access, present)
    raw = "struct_pack(" + ", ".join(f"{quote_ident(h)} := {quote_ident(h)}" for h in source.header) + ")"
    relation = select(columns, line="CAST(NULL AS BIGINT)", malformed="false", raw=raw, source=source.relation)
    return Staged(relation, first_line=prepared.header_line + 1, finish=lambda rows: _finish(ctx, source, rows))


def _finish(ctx: ReadContext, source, rows: int):
    rejects = csv_reader_rejects(ctx)
    return csv_lines(ctx, source, rows, rejects)


READER = Reader(
    name="canonical-csv",
    kinds=("transactions", "config_changes", "events"),
    recognises="CSV with a header (the canonical columns of docs/DESIGN.md, or any columns with --mapping); "
               ".csv or .csv.gz; UTF-8, UTF-8 with BOM or GBK/GB18030",
    example="analyzer ingest --db incident.duckdb --transactions payments.csv --tz Asia/Shanghai",
    sniff=sniff,
    stage=stage,
    mapping="any canonical column from a column, with value maps, units, epochs, formats, zones (README, Your data)",
)

