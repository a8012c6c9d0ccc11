"""The incident summary: the row behind `analyzer summary`, as a JSON-ready dict.

Before `analyze` has run it holds only the row accounting of the transaction files; after,
every key of the contract (README, "Summary JSON").
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from analyzer.db import Database
from analyzer.errors import DataError



def row_accounting(db: Database, kind: str = "transactions") -> dict[str, int]:
    db.require_tables("load_manifest", hint="run `analyzer ingest` first")
    return {k: int(v) for k, v in db.dicts_file("analysis/row_accounting", {"kind": kind})[0].items()}


def to_json_value(value: Any) -> Any:
    """Money as decimal strings, instants as ISO 8601 with offset (UTC inside)."""
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    return value


def load_summary(db: Database) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    if db.has_table("incident_summary"):
        rows = db.dicts("SELECT * FROM incident_summary")
        if not rows:
            raise DataError(f"{db.path}: incident_summary is empty; run `analyzer analyze`")
        summary.update({k: to_json_value(v) for k, v in rows[0].items()})
    summary.update(row_accounting(db))
    return summary
