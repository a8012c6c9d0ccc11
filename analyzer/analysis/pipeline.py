"""The reconstruction engine: raw tables -> derived tables, in one transaction.

Called by `analyzer analyze`, the benchmark and the tests. Runs the SQL files in order:
config versions, the one pass over every payment (payment_groups), change impact (and the
choice of bad and fix change), priced transactions, affected sets, metrics, milestones, scam
reports, timeline, incident summary. Re-running replaces every derived table atomically; the
raw tables are never written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from analyzer import __version__
from analyzer.db import Database
from analyzer.errors import DataError
from analyzer.analysis.impact import BadPeriod, bad_period

# Every table analyze builds: what the dashboard and the report need before they can show an incident.
DERIVED_TABLES = ("config_versions", "change_impact", "priced_transactions", "affected_transactions", "unexplained_payments",
                  "affected_users", "affected_merchants", "affected_scenes", "minute_metrics",
                  "second_metrics", "milestones", "scam_reports", "timeline", "incident_summary")
DEFAULT_EXPLOIT_SCENES = ("transfer", "credit_card_repayment")
SECOND_METRICS_MARGIN = timedelta(minutes=3)
# The timeline starts this long before the bad change; older rows are context, shown collapsed.
DEFAULT_TIMELINE_CONTEXT_MINUTES = 60
# analyze keeps DuckDB within this much memory unless told otherwise. Without a limit DuckDB
# keeps every block it scans cached, up to 80% of the machine (3.3 GiB at 50M payments); with
# it, the same analysis runs as fast in 1.7 GiB (benchmarks/README.md).
ANALYZE_MEMORY_LIMIT = "1536MB"


@dataclass(frozen=True)
class AnalysisParams:
    campaigns: tuple[str, ...] = ()
    bad_change: str | None = None
    fix_change: str | None = None
    lag_tolerance_ms: int = 60_000
    exploit_min_txns: int = 10
    exploit_scenes: tuple[str, ...] = field(default=DEFAULT_EXPLOIT_SCENES)
    display_tz: str | None = None
    timeline_context_minutes: int = DEFAULT_TIMELINE_CONTEXT_MINUTES
    memory_limit: str | None = ANALYZE_MEMORY_LIMIT  # None: keep the connection's own limit


@dataclass(frozen=True)
class AnalysisResult:
    period: BadPeriod
    campaigns: tuple[str, ...]
    display_tz: str


def incident_zone(db: Database, requested: str | None) -> str:
    """The zone to show instants in: --tz, else the zone the naive inputs were read in, else UTC."""
    if requested:
        return requested
    rows = db.dicts_file("analysis/incident_zone")
    return rows[0]["tz"] if rows else "UTC"


def analyze(db: Database, params: AnalysisParams = AnalysisParams()) -> AnalysisResult:
    db.require_tables("transactions", "config_changes", hint="run `analyzer ingest` first")
    if not db.scalar("SELECT count(*) FROM config_changes"):
        raise DataError(f"{db.path}: no config changes loaded; ingest the config-change log with --config-changes")
    if not db.scalar("SELECT count(*) FROM transactions"):
        raise DataError(f"{db.path}: no transactions loaded; ingest them with --transactions")
    tz = incident_zone(db, params.display_tz)
    previous_limit = db.scalar("SELECT current_setting('memory_limit')")
    if params.memory_limit:
        db.run_file("analysis/memory_limit", {"memory_limit": params.memory_limit})
    try:
        return _analyze(db, params, tz)
    finally:
        if params.memory_limit:
            db.run_file("analysis/memory_limit", {"memory_limit": previous_limit})


def _analyze(db: Database, params: AnalysisParams, tz: str) -> AnalysisResult:
    with db.transaction():
        db.run_file("analysis/macros")
        db.run_file("analysis/config_versions")
        # the one pass over every payment (change_impact and minute_metrics read its groups)
        db.run_file("analysis/payment_groups", {"campaigns": list(params.campaigns)})
        db.run_file("analysis/change_impact", {"campaigns": list(params.campaigns)})
        period = bad_period(db, params.bad_change, params.fix_change)
        campaigns = params.campaigns or (period.campaign_id,)
        db.run_file("analysis/priced_transactions", {
            "campaigns": list(campaigns), "bad_campaign": period.campaign_id,
            "bad_from": period.bad_from, "fix_from": period.fix_from,
            "bad_seq": period.bad_seq, "fix_seq": period.fix_seq,
            "tolerance_ms": params.lag_tolerance_ms})
        db.run_file("analysis/affected", {"exploit_min_txns": params.exploit_min_txns,
                                 "exploit_scenes": list(params.exploit_scenes)})
        last = db.scalar("SELECT max(ts) FROM affected_transactions") or period.fix_from or period.bad_from
        end = max(last, period.fix_from or last)
        db.run_file("analysis/metrics", {"window_from": period.bad_from - SECOND_METRICS_MARGIN, "window_to": end + SECOND_METRICS_MARGIN})
        changes = {"bad_change_id": period.bad_change_id, "fix_change_id": period.fix_change_id}
        context_from = period.bad_from - timedelta(minutes=params.timeline_context_minutes)
        db.run_file("analysis/milestones", changes)
        db.run_file("analysis/scam_reports", changes)
        db.run_file("analysis/timeline", {**changes, "context_from": context_from})
        db.run_file("analysis/incident_summary", {
            "campaign_id": period.campaign_id, "campaigns": list(campaigns),
            "bad_change_id": period.bad_change_id, "bad_inferred": period.bad_inferred,
            "bad_reason": period.bad_reason, "fix_change_id": period.fix_change_id,
            "fix_inferred": period.fix_inferred, "fix_note": period.fix_note,
            "display_tz": tz, "tolerance_ms": params.lag_tolerance_ms, "analyzer_version": __version__,
            "exploit_min_txns": params.exploit_min_txns, "exploit_scenes": list(params.exploit_scenes),
            "context_from": context_from})
        db.execute("DROP TABLE payment_groups").fetchall()
    return AnalysisResult(period=period, campaigns=tuple(campaigns), display_tz=tz)
