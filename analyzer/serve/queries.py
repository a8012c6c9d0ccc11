"""The dashboard's queries: plain functions over a read-only `Database`, returning polars frames.

Called by `dashboards/data.py` (which caches them) and by the tests, without Streamlit. Every
query is a file in `analyzer/sql/serve/`. The reviewer notes are read from and appended to the
log beside the database (analyzer/annotations.py); the database itself is only read. Values from widgets go in as bound parameters
only; the few pieces of SQL text that vary (masked or not, the sort column) are chosen here
from fixed fragments, and a sort column must be one of a whitelist, quoted by `quote_ident`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from analyzer import sql, store
from analyzer.db import Database
from analyzer.sql import quote_ident
from analyzer.errors import AnalyzerError
from analyzer.analysis import labels
from analyzer.analysis.freshness import freshness as analysis_freshness
from analyzer.analysis.pipeline import DERIVED_TABLES
from analyzer.analysis.summary import load_summary

# Tables the dashboard reads; missing ones mean `analyzer analyze` has not run (to the end).
RAW_TABLES = ("transactions", "load_manifest")

# Columns the Affected users table may be sorted by (anything else is refused).
USER_SORT_COLUMNS = ("excess_total", "net_excess_total", "affected_txns", "amount_total", "discount_total",
                     "expected_total", "exploit_scene_txns", "merchants", "first_affected_at", "last_affected_at",
                     "user_id")
MAX_PAGE_SIZE = 1000


# --- the state of the database ---------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """Why the dashboard cannot show the incident yet, and the command that fixes it."""

    title: str
    message: str
    command: str


def open_problem(path: str | Path | None, error: Exception | None = None) -> Problem:
    """The Problem for a database that could not be opened (no path, no file, not DuckDB, locked)."""
    if path is None or str(path) == "":
        return Problem("No database given", "Start the dashboard on an analyzed incident database.",
                       "analyzer dashboard --db incident.duckdb")
    if not Path(path).exists():
        return Problem("Database not found", f"There is no file at {path}. Ingest the logs, then analyze them.",
                       f"analyzer ingest --db {path} --transactions ... --config-changes ... --events ... "
                       f"&& analyzer analyze --db {path}")
    detail = error.message if isinstance(error, AnalyzerError) else str(error or "")
    return Problem("Cannot open the database",
                   f"{path} could not be opened read-only ({detail}). Is it a DuckDB file, and is no other "
                   "process writing to it (an `analyzer ingest` or `analyze` still running)?",
                   f"analyzer check --db {path}")


def problem(db: Database) -> Problem | None:
    """None when the database holds an analyzed incident; else what is missing and what to run."""
    path = db.path
    found = db.existing_tables((*RAW_TABLES, *DERIVED_TABLES))
    # EXISTS, not count(*): transactions may be a view over Parquet files (a count reads them all)
    if not all(t in found for t in RAW_TABLES) or not db.scalar("SELECT EXISTS (SELECT 1 FROM transactions)"):
        return Problem("The database is empty", f"{path} holds no transactions yet: ingest the logs first.",
                       f"analyzer ingest --db {path} --transactions ... --config-changes ... --events ...")
    missing = [t for t in DERIVED_TABLES if t not in found]
    if missing or not db.scalar("SELECT count(*) FROM incident_summary"):
        return Problem("The incident has not been analyzed yet",
                       f"{path} has the ingested logs but no analysis"
                       + (f" (missing: {', '.join(missing)})" if missing else "") + ".",
                       f"analyzer analyze --db {path}")
    return None


# --- helpers ---------------------------------------------------------------------------------
def _query(db: Database, name: str, params: Mapping[str, Any] | None = None, **templates: str) -> pl.DataFrame:
    return db.query_file(f"serve/{name}", params, **templates)


def _id(column: str, mask: bool, table: str | None = None) -> str:
    """A personal-id column as shown: the column itself, or its keyed pseudonym."""
    name = f"{quote_ident(table)}.{quote_ident(column)}" if table else quote_ident(column)
    return f"pseudonym({name})" if mask else name


def _page(limit: int, offset: int) -> dict[str, int]:
    limit = int(limit)
    offset = int(offset)
    if not 1 <= limit <= MAX_PAGE_SIZE or offset < 0:
        raise ValueError(f"page: limit must be 1..{MAX_PAGE_SIZE} and offset >= 0 (got {limit}, {offset})")
    return {"limit": limit, "offset": offset}


# --- overview and timeline -------------------------------------------------------------------
def summary(db: Database) -> dict[str, Any]:
    """Exactly the dict behind `analyzer summary --json`."""
    return load_summary(db)


def history(db: Database) -> list[dict[str, Any]]:
    """What made each generation of the database, newest first (analyzer/store.py)."""
    return store.history(db)


def analyses(db: Database) -> list[str]:
    """The labels of the analyses in the database (analyze --label), default first."""
    return labels.known(db)


def freshness(db: Database) -> dict[str, Any]:
    """Is the analysis older than the data? {stale, files_since}."""
    f = analysis_freshness(db)
    return {"stale": f.stale, "files_since": list(f.files_since)}


def bad_change(db: Database, change_id: str | None) -> dict[str, Any] | None:
    """The bad change: who, when, which fields from what to what (None when there is none)."""
    if not change_id:
        return None
    rows = _query(db, "bad_change", {"change_id": change_id}).to_dicts()
    return rows[0] if rows else None


def minute_metrics(db: Database) -> pl.DataFrame:
    return _query(db, "minute_metrics")


def second_metrics(db: Database) -> pl.DataFrame:
    return _query(db, "second_metrics")


def timeline(db: Database, start: datetime | None = None, end: datetime | None = None) -> pl.DataFrame:
    """The ordered timeline with durations, optionally only the rows from `start` to `end`."""
    return _query(db, "timeline", {"from": start, "to": end})


def milestones(db: Database) -> pl.DataFrame:
    """The milestones with the time since the impact start and their order checks."""
    return _query(db, "milestones")


def range_totals(db: Database, start: datetime, end: datetime) -> dict[str, Any]:
    """Counts and excess of the affected payments from `start` to `end` (inclusive). A range
    holding every affected payment (the page's default) is the incident summary's totals."""
    whole = _query(db, "range_totals_whole", {"from": start, "to": end}).to_dicts()
    return whole[0] if whole else _query(db, "range_totals", {"from": start, "to": end}).to_dicts()[0]


def range_payments(db: Database, start: datetime, end: datetime, *, limit: int = 200, offset: int = 0,
                   mask: bool = True) -> pl.DataFrame:
    return _query(db, "range_payments", {"from": start, "to": end, **_page(limit, offset)},
                  user_id=_id("user_id", mask, "t"), merchant_id=_id("merchant_id", mask, "t"))


# --- affected users --------------------------------------------------------------------------
@dataclass(frozen=True)
class UserFilters:
    """The filters of the Affected users page (empty = no filter)."""

    search: str | None = None
    scenes: tuple[str, ...] = field(default_factory=tuple)
    min_excess: Decimal | None = None
    exploit: bool | None = None
    refunded: bool | None = None

    def params(self) -> dict[str, Any]:
        search = (self.search or "").strip() or None
        return {"search": search, "scenes": list(self.scenes), "min_excess": self.min_excess,
                "exploit": self.exploit, "refunded": self.refunded}


def _user_filter_sql(user_id: str, scenes_as_list: str) -> str:
    return "(" + sql.statement("serve/user_filters", user_id=user_id, scenes=scenes_as_list) + ")"


def _user_order(sort: str, descending: bool, mask: bool) -> str:
    """ORDER BY over the affected_users columns of `u`: a whitelisted column, then the user id.
    Sorting by the user id sorts by the id as shown (the pseudonym when masking)."""
    if sort not in USER_SORT_COLUMNS:
        raise ValueError(f"cannot sort by {sort!r}; choose from {', '.join(USER_SORT_COLUMNS)}")
    direction = "DESC" if descending else "ASC"
    if sort == "user_id":
        return f"{_id('user_id', mask, 'u')} {direction}, u.{quote_ident('user_id')}"
    return f"u.{quote_ident(sort)} {direction} NULLS LAST, u.{quote_ident('user_id')}"


def affected_users_page(db: Database, filters: UserFilters = UserFilters(), *, sort: str = "excess_total",
                        descending: bool = True, limit: int = 50, offset: int = 0, mask: bool = True) -> pl.DataFrame:
    """One page of the filtered affected users (user_id masked unless `mask` is False)."""
    return _query(db, "affected_users_page", {**filters.params(), **_page(limit, offset)},
                  user_id=_id("user_id", mask, "u"), filters=_user_filter_sql(_id("user_id", mask, "u"), "u.scenes"),
                  order=_user_order(sort, descending, mask))


def affected_users_totals(db: Database, filters: UserFilters = UserFilters(), *, mask: bool = True) -> dict[str, Any]:
    """How many users match the filters (for paging), their payments and excess."""
    return _query(db, "affected_users_totals", filters.params(),
                  filters=_user_filter_sql(_id("user_id", mask), "scenes")).to_dicts()[0]


def user_payments(db: Database, user: str, *, mask: bool = True, ordinary: bool = True) -> pl.DataFrame:
    """The priced payments of one affected user, given the id as shown (a pseudonym when
    masked): every one, or with ordinary=False only the notable ones (stored: no scan)."""
    found = _query(db, "user_lookup", {"user": user}, shown="pseudonym" if mask else "user_id")
    user_id = found["user_id"][0] if found.height else None
    return _query(db, "user_payments", {"user_id": user_id}, merchant_id=_id("merchant_id", mask),
                  priced="priced_transactions" if ordinary else "priced_exceptions")


def affected_users_export(filters: UserFilters = UserFilters(), *, mask: bool = True, tz: str = "UTC",
                          excel: bool = False) -> tuple[str, dict[str, Any]]:
    """The SELECT and parameters of a download of the filtered users.

    The report's own export SELECT (`analyzer.report.exports.select_sql`, or `local_select_sql`
    for Excel: instants as wall-clock date-times), wrapped in the page's filters; without
    filters it is that SELECT unchanged, so the CSV download is byte-identical to
    `analyzer report`'s affected_users.csv for the same masking.
    """
    from analyzer.report import exports

    if excel:
        select = exports.local_select_sql("affected_users", mask_pii=mask)
    else:
        select = exports.select_sql("affected_users", mask_pii=mask)
    params: dict[str, Any] = {"tz": tz}
    active = filters.params()
    if any(v not in (None, []) for v in active.values()):
        # the export's user_id is already as shown; its scenes are 'a;b' text
        where = _user_filter_sql(quote_ident("user_id"), "string_split(scenes, ';')")
        select = f"SELECT * FROM ({select}) WHERE {where}"
        params.update(active)
    return select, params


def write_affected_users_csv(db: Database, path: str | Path, filters: UserFilters = UserFilters(), *,
                             mask: bool = True, tz: str = "UTC") -> Path:
    """The filtered affected users as CSV, written by the report's `copy_csv`."""
    from analyzer.report.exports import copy_csv

    select, params = affected_users_export(filters, mask=mask, tz=tz)
    copy_csv(db, select, params, Path(path))
    return Path(path)


def write_affected_users_xlsx(db: Database, path: str | Path, filters: UserFilters = UserFilters(), *,
                              mask: bool = True, tz: str = "UTC") -> Path:
    """The same rows and columns as the CSV download as an Excel workbook, by the report's one
    writer (analyzer/report/xlsx.py): money as numbers shown with two decimals, instants as
    date-times of the wall clock in `tz`, past Excel's row limit on the next sheet."""
    from analyzer.report import xlsx

    select, params = affected_users_export(filters, mask=mask, tz=tz, excel=True)
    # the search text is left out: it may be an id the reviewer typed
    chosen = [f"{k}={'given' if k == 'search' else ';'.join(v) if isinstance(v, list) else v}"
              for k, v in filters.params().items() if v not in (None, [])]
    xlsx.write_query(db, select, params, Path(path), sheet="affected_users", tz=tz, about=[
        ("export", "affected_users (dashboard download)"), ("filters", ", ".join(chosen) or "none"),
        ("ids", "pseudonyms (masked)" if mask else "as recorded (not masked)")])
    return Path(path)


# --- merchants and scenes --------------------------------------------------------------------
def scenes(db: Database) -> pl.DataFrame:
    return _query(db, "scenes")


def merchants_page(db: Database, search: str | None = None, *, limit: int = 50, offset: int = 0,
                   mask: bool = True) -> pl.DataFrame:
    """A page of affected merchants, largest excess first; `matching` is the size of the set."""
    return _query(db, "merchants_page", {"search": (search or "").strip() or None, **_page(limit, offset)},
                  merchant_id=_id("merchant_id", mask, "m"))


# --- config changes --------------------------------------------------------------------------
def config_changes(db: Database) -> pl.DataFrame:
    return _query(db, "config_changes")


def change_impact(db: Database) -> pl.DataFrame:
    return _query(db, "change_impact")


# --- data quality ----------------------------------------------------------------------------
def manifest(db: Database) -> pl.DataFrame:
    return _query(db, "manifest")


def rejects_by_reason(db: Database) -> pl.DataFrame:
    return _query(db, "rejects_by_reason") if db.has_table("rejects") else pl.DataFrame()


def reject_examples(db: Database, per_reason: int = 3, *, mask: bool = True) -> pl.DataFrame:
    if not db.has_table("rejects"):
        return pl.DataFrame()
    return _query(db, "reject_examples", {"per_reason": int(per_reason)}, raw="CAST(NULL AS VARCHAR)" if mask else "r.raw")


def disputed(db: Database) -> pl.DataFrame:
    return _query(db, "disputed") if db.has_table("disputed") else pl.DataFrame()


# --- customer follow-up ----------------------------------------------------------------------
def scam_reports(db: Database, *, mask: bool = True) -> pl.DataFrame:
    """Every scam-message report with the affected user it is linked to (ids masked unless `mask` is False)."""
    return _query(db, "scam_reports", reporter=_id("reporter_id", mask), linked=_id("linked_user_id", mask))


def scam_groups(db: Database, what: str) -> pl.DataFrame:
    """The reported domains (`what="domains"`) or phrases, grouped, most reported first."""
    if what not in ("domains", "phrases"):
        raise ValueError(f"group scam reports by domains or phrases, not {what!r}")
    return _query(db, "scam_groups", column=quote_ident(what), label=quote_ident(what.removesuffix("s")))


# --- reviewer notes (beside the database, never in it: analyzer/annotations.py) ----------------
def notes(db: Database, db_path: str | Path, *, mask: bool = True) -> pl.DataFrame:
    """The current notes, newest first, each target described from the analysis."""
    from analyzer.report import notes as report_notes

    rows = report_notes.load(db, db_path, mask=mask)
    return pl.DataFrame(
        [{"at": n.at, "who": n.who, "target": f"{n.kind}:{n.ref}", "about": n.label, "star": n.star,
          "tags": ", ".join(n.tags), "comment": n.comment, "id": n.id, "what": n.what} for n in reversed(rows)],
        schema={"at": pl.Datetime("us", "UTC"), "who": pl.String, "target": pl.String, "about": pl.String,
                "star": pl.Boolean, "tags": pl.String, "comment": pl.String, "id": pl.String, "what": pl.String})


def annotate(db: Database, db_path: str | Path, target: str, *, who: str, star: bool = False,
             tags: tuple[str, ...] = (), comment: str = "") -> Any:
    """Add a note on `target` (checked against the analysis, a user id stored masked); the note."""
    from analyzer import annotations

    return annotations.annotate(db_path, annotations.resolve_target(db, target), who=who, star=star, tags=tags,
                                comment=comment)


def activity(db_path: str | Path) -> pl.DataFrame:
    """Who annotated and who revealed identifiers, newest first (the two logs beside the database)."""
    from analyzer import annotations

    frame = pl.DataFrame(annotations.activity(db_path),
                         schema={"at": pl.String, "who": pl.String, "action": pl.String, "what": pl.String,
                                 "log": pl.String})
    # an instant, shown in the page's zone (a line whose `at` is not one stays, without a time)
    return frame.with_columns(pl.col("at").str.to_datetime(time_zone="UTC", strict=False))
