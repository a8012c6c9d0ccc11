"""Invariants as queries (`analyzer check`): each SQL file in sql/checks returns the rows that
break its rule; zero rows is a pass. Checks on derived tables run once `analyze` has run.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analyzer import sql
from analyzer.db import Database

SAMPLE_ROWS = 20


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    needs: tuple[str, ...]


CHECKS = (
    Check("row_accounting", "every file: read = loaded + duplicate + rejected, and the tables agree",
          ("load_manifest", "transactions", "config_changes", "events", "rejects")),
    Check("unique_keys", "one row per txn_id and per change_id", ("transactions", "config_changes")),
    Check("paid_matches", "amount - discount = paid where paid is given", ("transactions",)),
    Check("refund_integrity", "refunds of unknown payments or beyond what was paid are disputed, never counted",
          ("transactions", "disputed", "affected_transactions")),
    Check("one_live_version", "one live config version per campaign per instant", ("config_versions",)),
    Check("affected_explained", "every affected payment is explained or listed as unexplained",
          ("affected_transactions", "unexplained_payments")),
    Check("analysis_current", "the analysis is of the data now loaded (nothing ingested since analyze)",
          ("incident_summary", "inputs_now")),
    Check("money_reconciles", "excess totals equal per payment, per user, per merchant, per scene",
          ("affected_transactions", "affected_users", "affected_merchants", "affected_scenes", "incident_summary")),
)


@dataclass(frozen=True)
class CheckResult:
    name: str
    description: str
    passed: bool
    count: int
    sample: pl.DataFrame
    skipped: bool = False


def run_checks(db: Database) -> list[CheckResult]:
    db.require_tables("load_manifest", hint="run `analyzer ingest` first")
    results = []
    for check in CHECKS:
        if not all(db.has_table(t) for t in check.needs):
            results.append(CheckResult(check.name, check.description + " (skipped: run `analyzer analyze` first)",
                                       True, 0, pl.DataFrame(), skipped=True))
            continue
        query = sql.statement(f"checks/{check.name}")
        count = db.scalar(f"SELECT count(*) FROM ({query})")
        sample = db.polars(f"SELECT * FROM ({query}) LIMIT {SAMPLE_ROWS}") if count else pl.DataFrame()
        results.append(CheckResult(check.name, check.description, count == 0, count, sample))
    return results
