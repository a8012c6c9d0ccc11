"""Canonical JSON (DESIGN.md's fields, or any fields with a mapping): JSON lines, a JSON array,
a pretty-printed document, or an API response that wraps the list (`{"items": [...]}`), gzipped
or not. Nested fields are reached by dotted paths in the mapping (`order.amount`).

JSON lines are read by DuckDB, line by line in parallel. An array or a document is first written
out as JSON lines by Python (its records, in order; every number kept as the text it was
written with), and a record's "line" is then its number in the list. Money written as a JSON
number is read from the text of the line, never through a float (base.json_text).
"""

from __future__ import annotations

from pathlib import Path

from analyzer.errors import InputError
from analyzer.ingest.readers.base import (Lines, ReadContext, Reader, Staged, check_required, columns_sql,
                                          count_lines, json_text, json_valid_object, jsonl_lines, open_text,
                                          prepare_text, records_to_jsonl, select)
from analyzer.ingest.readers.canonical_csv import own_columns
from analyzer.ingest.sniff import Sample

KEY_SAMPLE_LINES = 10_000


def sniff(sample: Sample) -> int:
    if sample.json is None:
        return 0
    return 10 if {"txn_id", "change_id", "ts"} & sample.json.keys else 1


def _keys(ctx: ReadContext, lines: str) -> set[str]:
    """The top-level keys of the first records (a required field must be among them)."""
    try:
        return {r[0] for r in ctx.db.rows(f"""
            SELECT DISTINCT unnest(json_keys(j)) FROM (
                SELECT j FROM {lines} WHERE {json_valid_object('j')} LIMIT {KEY_SAMPLE_LINES})""")}
    except Exception as exc:  # noqa: BLE001 - DuckDB's own error for an unreadable file, said in one line
        from analyzer.db import first_line

        raise InputError(f"cannot read as JSON lines: {first_line(exc)}", path=ctx.where) from exc


def stage(ctx: ReadContext) -> Staged:
    shape = ctx.sample.json
    if shape is None:
        raise InputError("not JSON (JSON lines, an array or a document)", path=ctx.where)
    if shape.layout == "lines":
        path = prepare_text(ctx).path  # UTF-8 as it is; other encodings transcoded
        converted = False
    else:
        path = records_to_jsonl(ctx, shape.wrapper)
        converted = True
    lines = jsonl_lines(path)
    keys = _keys(ctx, lines)

    def access(p: str) -> str:
        return json_text("_j", p, exact_number=False)

    def money_access(p: str) -> str:
        return json_text("_j", p, exact_number=True)

    def present(column: str) -> bool:
        return column in keys

    own = own_columns(ctx, present)
    check_required(ctx, present, own)
    columns = columns_sql(ctx, own, access, present)
    for column in ctx.kind.money:  # money fields read exactly from the line's text
        spec = ctx.fields.get(column)
        if spec is None and present(column):
            columns[column] = money_access(column)
        elif spec is not None and spec.plain:
            columns[column] = money_access(spec.path or column)
    source = f"""(SELECT j, {json_valid_object('j')} AS _ok, CASE WHEN {json_valid_object('j')} THEN j END AS _j
                  FROM {lines} WHERE j IS NOT NULL AND trim(j) <> '')"""
    relation = select(columns, line="CAST(NULL AS BIGINT)", malformed="NOT _ok", raw="j", source=source)
    return Staged(relation, raw_sql="_raw", first_line=1,
                  finish=None if converted else (lambda rows: _lines(path, rows)))


def _lines(path: Path, rows: int) -> Lines:
    """Rows are numbered by position; blank lines (which the reader leaves out) shift them, so
    when there are any, every row's line is counted here."""
    if count_lines(path) == rows:
        return Lines()
    line_map, blank = [], 0
    with open_text(path, "utf-8") as fh:
        for n, text in enumerate(fh, 1):
            if text.strip():
                line_map.append(n)
            else:
                blank += 1
    return Lines(line_map=tuple(line_map), blank=blank)


READER = Reader(
    name="canonical-json",
    kinds=("transactions", "config_changes", "events"),
    recognises="JSON lines, a JSON array, a pretty-printed document or an API response wrapping the list "
               "({\"items\": [...]}), .json / .jsonl / .ndjson, gzipped or not; nested fields by dotted paths",
    example="analyzer ingest --db incident.duckdb --config-changes changes.jsonl",
    sniff=sniff,
    stage=stage,
    mapping="dotted paths into nested fields (order.amount), integer cents, epoch milliseconds (README, Your data)",
)

