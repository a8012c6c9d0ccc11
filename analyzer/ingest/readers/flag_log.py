"""What the feature-flag audit-log readers share (unleash.py, launchdarkly.py, flagsmith.py).

A flag tool's log is JSON: an API response wrapping a list (`{"events": [...]}`,
`{"items": [...]}`), a JSON array, one webhook body, or JSON lines that a receiver or a script
appended. Each reader names the records of a document (`pick`), and one SQL script of its own
(analyzer/sql/ingest/readers/<name>.sql) turns the records into changes in the temp table
`_reader_records`; everything else is shared here:

- the records: JSON lines are read by DuckDB as they are (a line may itself be a wrapped
  response: json_records.sql unnests it, and its records keep its line); an array or a document
  is written out as JSON lines first (every number kept as its text, base.records_to_jsonl's
  rule), a record's line being then its number in the list;
- `_reader_records` holds one row per change, plus one per record that is not a change (another
  event type, an override, a read), per blank line and per empty list (`_skip`): those are
  counted as skipped, never rows; a line that is not a JSON object is a row (`_malformed`);
- the relation: the canonical config_changes columns from `_reader_records` (the user's mapping
  may still override any of them with a dotted path into the record), `source_format` = the
  reader's name, campaign_id and config NULL (the [[campaigns]] of the mapping say which
  object is which campaign, analyzer/ingest/campaign_models.py), and `_flag_on`: whether the
  flag is on in its environment after the change (NULL when the log does not say), which the
  campaign model folds into `enabled`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from analyzer import sql
from analyzer.errors import InputError
from analyzer.ingest.kinds import CONFIG_CHANGES
from analyzer.ingest.readers.base import (ReadContext, Staged, columns_sql, json_path, jsonl_lines, load_document,
                                          prepare_text, select, write_records)
from analyzer.sql import quote_ident, quote_literal

Pick = Callable[[Any], list[Any] | None]  # a parsed document -> its records (None: not this format's)
NULL_TEXT = "CAST(NULL AS VARCHAR)"


def record_lines(ctx: ReadContext, pick: Pick) -> Path:
    """The file as JSON lines DuckDB reads: JSON lines as they are (transcoded when not UTF-8),
    an array or a document with its records (`pick`) one per line."""
    shape = ctx.sample.json
    if shape is not None and shape.layout == "lines":
        return prepare_text(ctx).path
    records = pick(load_document(ctx))
    if records is None:
        raise InputError("a JSON document without the list of records this format has", path=ctx.where)
    return write_records(ctx, records)


def stage(ctx: ReadContext, name: str, pick: Pick, wrapper: str) -> Staged:
    """Run the reader's script over the file's records and stage its changes.

    `wrapper` is the key under which an API response wraps its list (a line of JSON lines may be
    such a response)."""
    records = sql.statement("ingest/readers/json_records", source=jsonl_lines(record_lines(ctx, pick)),
                            wrapper=quote_literal(json_path(wrapper)),
                            wrapper_items=quote_literal(json_path(wrapper) + "[*]"))
    ctx.db.run_file("ingest/readers/flag_values")
    ctx.db.run_file(f"ingest/readers/{name}", records=records)
    skipped = ctx.db.scalar("SELECT count(*) FILTER (_skip) FROM _reader_records")

    def access(path: str) -> str:  # a mapping's dotted path, into the record
        return f"json_extract_string(_j, {quote_literal(json_path(path))})"

    own = {column: quote_ident(column) for column in CONFIG_CHANGES.columns}
    own.update(campaign_id=NULL_TEXT, config=NULL_TEXT, source_format=quote_literal(name))
    columns = columns_sql(ctx, own, access, lambda _column: False)
    columns["_flag_on"] = quote_ident("_flag_on")
    relation = select(columns, line="_line", malformed="_malformed", raw="_raw",
                      source="(SELECT * FROM _reader_records WHERE NOT _skip ORDER BY _line, _sub)")
    return Staged(relation, raw_sql="_raw", skipped=int(skipped or 0))


def records_of(doc: Any, wrapper: str, is_record: Callable[[dict[str, Any]], bool]) -> list[Any] | None:
    """A document's records: an array, a response wrapping them under `wrapper`, or one record."""
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict) and isinstance(doc.get(wrapper), list):
        return doc[wrapper]
    if isinstance(doc, dict) and is_record(doc):
        return [doc]
    return None
