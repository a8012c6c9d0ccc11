"""timeline.jsonl and timeline.csv: the incident timeline for a forensic timeline tool.

Timesketch imports JSONL and CSV with three required fields: `message`, `datetime`
(ISO 8601) and `timestamp_desc`; every other field becomes an attribute. The rows are the
derived `timeline` table (config changes, analysis milestones, imported events), streamed
by DuckDB `COPY` like the row exports.
"""

from __future__ import annotations

from pathlib import Path

from analyzer.db import Database
from analyzer.sql import quote_literal
from analyzer.report.exports import copy_csv, expand_template
from analyzer.report.files import atomic_path

REQUIRED_FIELDS = ("message", "datetime", "timestamp_desc")


def timeline_select_sql() -> str:
    """The SELECT behind both timeline files (parameter `$tz`)."""
    return expand_template("timeline_export", mask_pii=False, instants="text", lists="text")


def write_timeline(db: Database, out_dir: Path, *, tz: str, raw_csv: bool = False) -> list[Path]:
    select = timeline_select_sql()
    jsonl = Path(out_dir) / "timeline.jsonl"
    with atomic_path(jsonl) as tmp:
        db.execute(f"COPY ({select}) TO {quote_literal(str(tmp))} (FORMAT json)", {"tz": tz}).fetchall()
    csv = Path(out_dir) / "timeline.csv"
    with atomic_path(csv) as tmp:
        copy_csv(db, select, {"tz": tz}, tmp, raw=raw_csv)
    return [jsonl, csv]
