"""The incident summary: the row behind `analyzer summary`, as a JSON-ready dict.

Before `analyze` has run it holds only the row accounting of the transaction files; after,
every key of the contract (README, "Summary JSON").
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from analyzer.analysis.freshness import freshness
from analyzer.db import Database

# Bookkeeping columns of incident_summary, not figures of the incident.
HIDDEN = ("inputs_fingerprint", "inputs_last_file_id")
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
        summary.update({k: to_json_value(v) for k, v in rows[0].items() if k not in HIDDEN})
        summary["stale"] = freshness(db).stale
    summary.update(row_accounting(db))
    return summary


def as_text(s: dict[str, Any]) -> str:
    """The summary as people read it, in the incident's zone (`analyzer summary` without --json)."""
    from analyzer.formatting import count, duration, instant, money

    rows = [f"Rows read {count(s['rows_read'])} = loaded {count(s['rows_loaded'])} + duplicate "
            f"{count(s['rows_duplicate'])} + rejected {count(s['rows_rejected'])}"]
    if "campaign_id" not in s:
        return "Not analyzed yet (run `analyzer analyze`).\n" + rows[0]
    tz = s.get("display_tz") or "UTC"
    cur = f" {s['currency']}" if s.get("currency") else ""

    def at(key: str) -> str:
        return instant(s.get(key), tz)

    lines = [f"Incident on campaign {s['campaign_id']} (analysis {s.get('analysis_label') or 'default'}); "
             f"times in {tz}"]
    if s.get("stale"):
        lines.append("STALE: files were ingested after this analysis; run `analyzer analyze` again")
    lines += [f"Warning: {w}" for w in s.get("warnings") or []]
    lines += [
        f"Bad change      {s['bad_change_id']} by {s.get('bad_change_actor') or '?'} "
        f"(approver {s.get('bad_change_approver') or 'none'}) at {at('config_window_start')}",
        f"                {s.get('bad_change_reason') or ''}",
        "Fix change      " + (f"{s['fix_change_id']} by {s.get('fix_change_actor') or '?'} at {at('config_window_end')}"
                               if s.get("fix_change_id") else "none yet: the bad period is still open in the data"),
        f"Affected        {count(s['affected_txns'])} payments ({count(s['over_discounted_txns'])} over-, "
        f"{count(s['under_discounted_txns'])} under-discounted) of {count(s['affected_users'])} users at "
        f"{count(s['affected_merchants'])} merchants",
        f"Excess          {money(s['excess_total'])}{cur} gross, {money(s['net_excess_total'])}{cur} net of "
        f"{count(s['fully_refunded_txns'])} fully refunded payments",
        f"Data window     {at('first_affected_at')} to {at('last_affected_at')} ({duration(s['exposure_s'])})",
        f"Propagation     {duration(s['propagation_lag_start_s'])} after the bad change, "
        f"{duration(s['propagation_lag_end_s'])} after the fix; {count(s['lagged_payments'])} payments by lagging nodes",
        f"Detection       first alert {at('first_alert_at')} ({duration(s['time_to_detect_s'])} after the first "
        f"affected payment); mitigated after {duration(s['time_to_mitigate_s'])}",
        f"Exploiters      {count(s['exploiters'])} users, {money(s['exploiters_excess_total'])}{cur} of the excess",
        *rows,
    ]
    return "\n".join(lines)
