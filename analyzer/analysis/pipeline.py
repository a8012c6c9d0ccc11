"""The reconstruction engine: raw tables -> derived tables, in one transaction.

Called by `analyzer analyze`, the benchmark and the tests. Runs the SQL files in order:
config versions, the one pass over every payment (payment_groups), change impact (and the
choice of bad and fix change), priced transactions, affected sets, metrics, milestones, scam
reports, timeline, incident summary. Re-running replaces every derived table atomically; the
raw tables are never written.

`payments` is the engine that runs the analysis (analyzer/engine.py): DuckDB itself by default,
or Spark (analyze --engine spark), which runs every statement, from the same SQL files, over the
payments where they live and the small inputs copied in (the config log, the events, the
disputed refunds); each result is copied into the DuckDB file (small tables). DuckDB's always:
user_pseudonyms (keyed with the database's secret, which stays in the file), the choice of the
bad change over change_impact (analysis/impact.py), and the stored views of priced_transactions.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from analyzer import __version__
from analyzer.analysis import freshness, labels, patterns
from analyzer.analysis.impact import BadPeriod, bad_period
from analyzer.db import Database
from analyzer.engine import DuckDBEngine, Engine
from analyzer.errors import DataError, UsageError
from analyzer.sql import DIALECTS, quote_ident, quote_literal

# Every table analyze builds: what the dashboard and the report need before they can show an incident.
# priced_transactions is a view (priced_ordinary computed when read, over priced_exceptions stored).
DERIVED_TABLES = ("config_versions", "change_impact", "priced_exceptions", "priced_ordinary", "priced_transactions",
                  "payment_refunds", "affected_transactions", "unexplained_payments", "affected_users",
                  "user_pseudonyms", "affected_merchants", "affected_scenes", "minute_metrics",
                  "second_metrics", "milestones", "scam_reports", "timeline", "incident_summary")
DEFAULT_EXPLOIT_SCENES = ("transfer", "credit_card_repayment")
SECOND_METRICS_MARGIN = timedelta(minutes=3)
# The timeline starts this long before the bad change; older rows are context, shown collapsed.
DEFAULT_TIMELINE_CONTEXT_MINUTES = 60
# analyze keeps DuckDB within this much memory unless told otherwise (analyze --memory-limit).
# Without a limit DuckDB keeps every block it scans cached, up to 80% of the machine (3.3 GiB at
# 50M payments); with it, the same analysis runs as fast in 1.5 GiB (benchmarks/README.md).
ANALYZE_MEMORY_LIMIT = "1536MB"
# The tables of affected.sql and metrics.sql, copied in from Spark, with the ORDER BY of their statements.
AFFECTED_TABLES = {"payment_refunds": "txn_id", "affected_transactions": "ts, txn_id",
                   "affected_users": "excess_total DESC, user_id",
                   "affected_merchants": "excess_total DESC, merchant_id NULLS LAST",
                   "affected_scenes": "excess_total DESC, scene NULLS LAST", "unexplained_payments": "ts, txn_id"}
METRICS_TABLES = {"minute_metrics": "minute, campaign_id", "second_metrics": "second, campaign_id"}
# The small inputs Spark reads from the DuckDB file (less the sources' raw documents, which no
# statement on Spark reads).
SPARK_INPUTS = {"config_changes": ("config_raw", "previous_raw"), "events": (), "disputed": ()}
# The tables of the review (milestones.sql, scam_reports.sql, timeline.sql, incident_summary.sql),
# copied in from Spark, with the ORDER BY of their statements.
REVIEW_TABLES = {"milestones": "position", "scam_reports": "ts, event_id", "timeline": "ordinal",
                 "incident_summary": ""}


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
    label: str = labels.DEFAULT      # the name of this analysis (its own schema unless default)
    currency: str | None = None      # analyse only the payments of this currency
    strict: bool = False             # a doubtful named bad / fix change is an error, not a warning


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


def analyze(db: Database, params: AnalysisParams = AnalysisParams(), payments: Engine | None = None) -> AnalysisResult:
    payments = payments or DuckDBEngine(db)
    db.require_tables("transactions", "config_changes", hint="run `analyzer ingest` first")
    if not db.scalar("SELECT count(*) FROM config_changes"):
        raise DataError(f"{db.path}: no config changes loaded; ingest the config-change log with --config-changes")
    if not payments.scalar(f"SELECT count(*) FROM {DIALECTS[payments.dialect]['raw_transactions']}"):
        raise DataError(f"{db.path}: no transactions loaded; ingest them with --transactions")
    labels.check(params.label)
    check_campaigns(db, params.campaigns)
    params = check_currency(payments, params)
    tz = incident_zone(db, params.display_tz)
    with db.memory_limited(params.memory_limit):
        return _analyze(db, params, tz, payments)


def check_campaigns(db: Database, campaigns: tuple[str, ...]) -> None:
    """Every --campaign is a campaign of the config log (else an error listing them, with the near match)."""
    known = [r[0] for r in db.rows("SELECT DISTINCT campaign_id FROM main.config_changes "
                                   "WHERE campaign_id IS NOT NULL ORDER BY campaign_id")]
    for name in campaigns:
        if name in known:
            continue
        folded = {k.lower(): k for k in known}
        near = folded.get(name.lower()) or next(iter(difflib.get_close_matches(name, known, n=1)), None)
        raise UsageError(f"--campaign {name!r}: no such campaign in the config log"
                         + (f"; did you mean {near}?" if near else "") + f" (campaigns: {', '.join(known) or 'none'})")


def check_currency(db: Database | Engine, params: AnalysisParams) -> AnalysisParams:
    """Money is never summed across currencies: payments in several need --currency (each
    currency its own analysis, labelled by it unless --label says otherwise)."""
    found = {r["currency"]: r["payments"] for r in db.dicts_file("analysis/currencies",
                                                                  {"campaigns": list(params.campaigns)})}
    named = {c for c in found if c is not None}
    if params.currency is None:
        if len(named) > 1:
            listed = ", ".join(f"{c or 'none given'} ({n:,} payments)" for c, n in found.items())
            raise DataError(f"the payments are in several currencies: {listed}; money is never summed across "
                            f"currencies: analyse each with --currency CODE (e.g. --currency {sorted(named)[0]})")
        return dataclasses.replace(params, currency=next(iter(named), None))
    currency = params.currency.upper()
    if currency not in named:
        raise UsageError(f"--currency {currency}: no payment in that currency "
                         f"(currencies: {', '.join(sorted(named)) or 'none given'})")
    label = params.label if params.label != labels.DEFAULT or len(named) == 1 else currency.lower()
    return dataclasses.replace(params, currency=currency, label=label)


def _analyze(db: Database, params: AnalysisParams, tz: str, payments: Engine) -> AnalysisResult:
    local = DuckDBEngine(db)
    elsewhere = payments.dialect != local.dialect
    with db.transaction():
        schema_name = labels.create(db, params.label)
        if params.currency is not None and schema_name != "main":
            currency = {"currency": quote_literal(params.currency),
                        "include_unset": "true" if len(_currencies(payments)) == 1 else "false"}
            db.run_file("analysis/currency_view", **currency)
            if elsewhere:
                payments.run_file("analysis/currency_view", **currency)
        db.run_file("analysis/inputs_state")
        state = freshness.inputs_state(db)
        db.run_file("analysis/macros")
        db.run_file("analysis/functions")
        if elsewhere:
            # the small inputs, copied in: the config log, the events, the disputed refunds
            for name, exclude in SPARK_INPUTS.items():
                payments.write_table(name, local.read_table(name, exclude=exclude))
            payments.run_file("analysis/macros")
            payments.run_file("analysis/functions")
        payments.run_file("analysis/config_versions")
        if elsewhere:
            _copy_in(local, payments, {"config_versions": "campaign_id, version_seq"})
            db.run_file("analysis/open_end")
        # the one pass over every payment (change_impact and minute_metrics read its groups)
        payments.run_file("analysis/payment_groups", {"campaigns": list(params.campaigns)})
        payments.run_file("analysis/change_impact", {"campaigns": list(params.campaigns)})
        if elsewhere:
            _copy_in(local, payments, {"change_impact": "rank"})
        period = bad_period(db, params.bad_change, params.fix_change, strict=params.strict, payments=payments)
        campaigns = params.campaigns or (period.campaign_id,)
        _drop_table(db, schema_name, "priced_transactions")  # a table before it was a view
        priced = {"campaigns": list(campaigns), "bad_campaign": period.campaign_id,
                  "bad_from": period.bad_from, "fix_from": period.fix_from,
                  "bad_seq": period.bad_seq, "fix_seq": period.fix_seq,
                  "tolerance_ms": params.lag_tolerance_ms}
        # the notable payments, on the payments' engine (one statement for both), copied in from
        # Spark; the ordinary rest a view over them and the transactions (priced_transactions.sql)
        payments.run_file("analysis/priced_exceptions", priced)
        if elsewhere:
            local.write_table("priced_exceptions", payments.read_table("priced_exceptions"))
            # Spark's own priced_transactions (temporary views), which second_metrics reads there
            payments.run_file("analysis/priced_transactions", priced, **priced_view_templates(
                schema_name, currency_view=False, campaigns=campaigns, period=period, dialect=payments.dialect))
        db.run_file("analysis/priced_transactions", **priced_view_templates(
            schema_name, currency_view=params.currency is not None and schema_name != "main",
            campaigns=campaigns, period=period))
        # the affected sets and the payment_refunds, on the payments' engine, copied in from Spark
        payments.run_file("analysis/affected", {"exploit_min_txns": params.exploit_min_txns,
                                                "exploit_scenes": list(params.exploit_scenes)})
        if elsewhere:
            _copy_in(local, payments, AFFECTED_TABLES)
        db.run_file("analysis/user_pseudonyms")  # keyed with the database's secret: DuckDB's only
        last = db.scalar("SELECT max(ts) FROM affected_transactions") or period.fix_from or period.bad_from
        end = max(last, period.fix_from or last)
        payments.run_file("analysis/metrics", {"window_from": period.bad_from - SECOND_METRICS_MARGIN,
                                               "window_to": end + SECOND_METRICS_MARGIN})
        if elsewhere:
            _copy_in(local, payments, METRICS_TABLES)
        payments.run_file("analysis/peak_minute")
        changes = {"bad_change_id": period.bad_change_id, "fix_change_id": period.fix_change_id}
        context_from = period.bad_from - timedelta(minutes=params.timeline_context_minutes)
        payments.run_file("analysis/milestones", changes)
        payments.run_file("analysis/scam_reports", {**changes, **patterns.PARAMS})
        payments.run_file("analysis/timeline", {**changes, **patterns.PARAMS, "context_from": context_from})
        payments.run_file("analysis/incident_summary", {
            "campaign_id": period.campaign_id, "campaigns": list(campaigns),
            "bad_change_id": period.bad_change_id, "bad_inferred": period.bad_inferred,
            "bad_reason": period.bad_reason, "fix_change_id": period.fix_change_id,
            "fix_inferred": period.fix_inferred, "fix_note": period.fix_note,
            "display_tz": tz, "tolerance_ms": params.lag_tolerance_ms, "analyzer_version": __version__,
            "label": params.label, "currency": params.currency, "warnings": list(period.warnings),
            "inputs_fingerprint": state["fingerprint"], "inputs_last_file_id": state["last_file_id"],
            "exploit_min_txns": params.exploit_min_txns, "exploit_scenes": list(params.exploit_scenes),
            "context_from": context_from})
        if elsewhere:
            _copy_in(local, payments, REVIEW_TABLES)
        else:
            db.execute("DROP TABLE payment_groups").fetchall()
        db.run_file("analysis/record_analysis", {
            "label": params.label, "schema_name": schema_name, "analyzed_at": datetime.now(UTC),
            "bad_change_id": period.bad_change_id, "fix_change_id": period.fix_change_id,
            "campaigns": list(campaigns), "currency": params.currency,
            "parameters": json.dumps({"bad_change": params.bad_change, "fix_change": params.fix_change,
                                      "lag_tolerance_ms": params.lag_tolerance_ms,
                                      "exploit_min_txns": params.exploit_min_txns, "strict": params.strict})})
    return AnalysisResult(period=period, campaigns=tuple(campaigns), display_tz=tz)


def priced_view_templates(schema_name: str, *, currency_view: bool, campaigns, period: BadPeriod,
                          dialect: str = "duckdb") -> dict:
    """The templates of the priced_ordinary view. DuckDB: the view stored in the analysis's
    schema, with fixed literals (a stored view body takes no parameters): the transactions it
    reads (its currency view, else main's), the period. Spark: temporary views over its own
    `transactions` (the currency view when there is one), the placeholders the parameters of
    priced_exceptions.sql themselves, bound when the view is defined."""
    if dialect == "spark":
        return {"view": lambda name: f"TEMP VIEW {name}", "table": lambda name: name, "transactions": "transactions",
                **{name: f"${name}" for name in ("campaigns", "bad_campaign", "bad_from", "fix_from", "bad_seq", "fix_seq")}}

    def ts(value: datetime | None) -> str:
        return "CAST(NULL AS TIMESTAMPTZ)" if value is None else f"CAST({quote_literal(value.isoformat())} AS TIMESTAMPTZ)"

    schema = quote_ident(schema_name)
    return {"view": lambda name: f"VIEW {schema}.{name}", "table": lambda name: f"{schema}.{name}",
            "transactions": f"{quote_ident(schema_name if currency_view else 'main')}.transactions",
            "campaigns": "CAST([" + ", ".join(quote_literal(c) for c in campaigns) + "] AS VARCHAR[])",
            "bad_campaign": quote_literal(period.campaign_id),
            "bad_from": ts(period.bad_from), "fix_from": ts(period.fix_from),
            "bad_seq": str(int(period.bad_seq)),
            "fix_seq": "CAST(NULL AS BIGINT)" if period.fix_seq is None else str(int(period.fix_seq))}


def _copy_in(local: DuckDBEngine, payments: Engine, tables: dict[str, str]) -> None:
    """Spark's small result tables into the DuckDB file, each in its statement's order (the
    Parquet Spark reads back keeps none)."""
    for name, order_by in tables.items():
        local.write_table(name, payments.read_table(name), order_by=order_by)


def _drop_table(db: Database, schema_name: str, name: str) -> None:
    if db.scalar("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = ? "
                 "AND table_name = ? AND NOT temporary",
                 [schema_name, name]):
        db.execute(f"DROP TABLE {quote_ident(schema_name)}.{quote_ident(name)}").fetchall()


def _currencies(payments: Engine) -> set[str | None]:
    raw = DIALECTS[payments.dialect]["raw_transactions"]
    return {r["currency"] for r in payments.dicts(f"SELECT DISTINCT currency FROM {raw}")}
