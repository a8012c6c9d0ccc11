"""priced_transactions is a view (the stored notable payments, priced_exceptions, and the
ordinary ones computed when read, priced_ordinary). It must answer exactly like the table it
replaced: the old SQL, kept in tests/fixtures/priced_transactions_full.sql, builds the full
table independently, and every row, dashboard query, export, check and guardrail replay is
compared between the view-backed database and one where the full table stands in its place."""

from __future__ import annotations

import shutil
from datetime import datetime

import polars as pl
import pytest

from analyzer import sql
from analyzer.analysis import labels
from analyzer.analysis.checks import run_checks
from analyzer.analysis.impact import bad_period
from analyzer.analysis.pipeline import AnalysisParams, analyze
from analyzer.db import Database
from analyzer.guardrails.replay import replay_default
from analyzer.report import exports
from analyzer.serve import queries
from analyzer.serve.queries import UserFilters
from tests.conftest import FIXTURES

KEY = ["txn_id"]


def build_full(db: Database) -> None:
    """priced_full: the old, fully materialized priced_transactions of the current analysis."""
    s = db.dicts("SELECT bad_change_id, fix_change_id, campaigns, lag_tolerance_ms FROM incident_summary")[0]
    period = bad_period(db, s["bad_change_id"], s["fix_change_id"])
    db.run(sql.script("priced_transactions_full", root=str(FIXTURES)), {
        "campaigns": list(s["campaigns"]), "bad_campaign": period.campaign_id,
        "bad_from": period.bad_from, "fix_from": period.fix_from,
        "bad_seq": period.bad_seq, "fix_seq": period.fix_seq, "tolerance_ms": s["lag_tolerance_ms"]})


@pytest.fixture(scope="module")
def dbs(sample_db, tmp_path_factory):
    """(view-backed, table-backed): copies of the sample analysis, the second with the full table
    built by the old SQL in place of the view."""
    root = tmp_path_factory.mktemp("priced")
    view_path, table_path = root / "view.duckdb", root / "table.duckdb"
    shutil.copyfile(sample_db, view_path)
    shutil.copyfile(sample_db, table_path)
    with Database(table_path) as db:
        build_full(db)
        db.execute("DROP VIEW priced_transactions").fetchall()
        db.execute("ALTER TABLE priced_full RENAME TO priced_transactions").fetchall()
    view, table = Database(view_path, read_only=True), Database(table_path, read_only=True)
    yield view, table
    view.close()
    table.close()


def sorted_frame(db: Database, select: str) -> pl.DataFrame:
    return db.polars(select).sort(KEY)


def test_priced_transactions_is_a_view_of_the_notable_rows_and_the_computed_rest(dbs):
    view, table = dbs
    kinds = dict(view.rows("SELECT table_name, 'table' FROM duckdb_tables() WHERE table_name LIKE 'priced_%' "
                           "UNION ALL SELECT view_name, 'view' FROM duckdb_views() WHERE view_name LIKE 'priced_%'"))
    assert kinds == {"priced_exceptions": "table", "priced_ordinary": "view", "priced_transactions": "view"}
    stored, total = view.one("SELECT (SELECT count(*) FROM priced_exceptions), (SELECT count(*) FROM priced_transactions)")
    assert 0 < stored < total / 4  # most payments are ordinary: computed, not stored
    assert total == table.scalar("SELECT count(*) FROM priced_transactions")


def test_the_view_holds_the_full_tables_rows_row_for_row(dbs):
    view, table = dbs
    a = sorted_frame(view, "SELECT * FROM priced_transactions")
    b = sorted_frame(table, "SELECT * FROM priced_transactions")
    assert a.columns == b.columns
    assert a.schema == b.schema
    assert a.equals(b)
    assert a["txn_id"].is_unique().all()
    # every payment with an excess, lagged, unexplained or disagreeing is stored
    notable = b.filter((pl.col("excess") != 0) | pl.col("lagged") | pl.col("explained_by").is_null()
                       | pl.col("version_disagrees") | (pl.col("explained_by") != pl.col("live_version")))
    stored = sorted_frame(view, "SELECT * FROM priced_exceptions")
    assert notable["txn_id"].is_in(stored["txn_id"].implode()).all()


def test_the_analysis_tables_equal_those_of_the_full_table(dbs):
    view, table = dbs
    affected = sorted_frame(view, "SELECT * EXCLUDE (refunded_amount, refunds, last_refund_at, fully_refunded, "
                                  "partially_refunded, net_excess) FROM affected_transactions")
    assert affected.equals(sorted_frame(table, "SELECT * FROM priced_transactions WHERE excess <> 0"))
    assert sorted_frame(view, "SELECT txn_id FROM unexplained_payments").equals(
        sorted_frame(table, "SELECT txn_id FROM priced_transactions WHERE explained_by IS NULL"))
    summary = view.dicts("SELECT payments_analyzed, lagged_payments, unexplained_payments, version_disagreements "
                         "FROM incident_summary")[0]
    assert summary == table.dicts("""
        SELECT count(*) AS payments_analyzed, count(*) FILTER (lagged) AS lagged_payments,
               count(*) FILTER (explained_by IS NULL) AS unexplained_payments,
               count(*) FILTER (version_disagrees) AS version_disagreements FROM priced_transactions""")[0]
    assert summary["lagged_payments"] > 0 and summary["payments_analyzed"] > 0


def dashboard_answers(db: Database) -> dict[str, object]:
    s = queries.summary(db)
    start, end = s["first_affected_at"], s["last_affected_at"]
    users = queries.affected_users_page(db, mask=True, limit=20)
    out: dict[str, object] = {
        "problem": queries.problem(db), "summary": s,
        "minute_metrics": queries.minute_metrics(db), "second_metrics": queries.second_metrics(db),
        "range_totals": queries.range_totals(db, start, end),
        "range_payments": queries.range_payments(db, start, end, limit=200, offset=0, mask=True),
        "users": users, "users_totals": queries.affected_users_totals(db, mask=True),
        "filtered": queries.affected_users_page(db, UserFilters(exploit=True), mask=False),
        "merchants": queries.merchants_page(db, mask=True), "change_impact": queries.change_impact(db),
        "scenes": queries.scenes(db),
    }
    for i, user in enumerate(users["user_id"].to_list()[:5]):
        out[f"user_payments_{i}"] = queries.user_payments(db, user, mask=True)
    plain = queries.affected_users_page(db, mask=False, limit=3)["user_id"].to_list()
    for i, user in enumerate(plain):
        out[f"user_payments_plain_{i}"] = queries.user_payments(db, user, mask=False)
    for name in exports.EXPORT_NAMES:
        out[f"export_{name}"] = db.polars(exports.select_sql(name, mask_pii=True).replace("$tz", "'UTC'"))
    out["checks"] = [(c.name, c.passed, c.count, c.skipped, c.sample.to_dicts()) for c in run_checks(db)]
    out["guardrails"] = replay_default(db)
    return out


def test_dashboard_exports_checks_and_guardrails_answer_identically(dbs):
    view, table = dbs
    a, b = dashboard_answers(view), dashboard_answers(table)
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], pl.DataFrame):
            assert a[key].height > 0 or key.startswith("filtered"), key
            assert a[key].equals(b[key]), key
        else:
            assert a[key] == b[key], key


def test_the_drill_down_equals_the_old_query_over_the_full_table(dbs):
    """user_lookup + payment_refunds give what the old query (every id hashed, refunds from every
    transaction) gave over the full table, masked or not, refunded users included."""
    view, table = dbs
    refunded = view.rows("SELECT DISTINCT user_id FROM affected_transactions WHERE refunds > 0 ORDER BY 1 LIMIT 3")
    users = [r[0] for r in refunded] + queries.affected_users_page(view, mask=False, limit=3)["user_id"].to_list()
    assert len(refunded) == 3
    for mask in (True, False):
        for user in users:
            shown = view.scalar("SELECT pseudonym(?)", [user]) if mask else user
            old = table.polars(sql.statement("user_payments_full", root=str(FIXTURES),
                                             user_id="pseudonym(user_id)" if mask else "user_id",
                                             merchant_id="pseudonym(merchant_id)" if mask else "merchant_id"),
                               {"user": shown})
            new = queries.user_payments(view, shown, mask=mask)
            assert new.height > 0 and new.equals(old), (user, mask)
    assert queries.user_payments(view, "anon-nosuchuser", mask=True).columns == old.columns
    assert queries.user_payments(view, "anon-nosuchuser", mask=True).height == 0


def test_the_whole_incidents_range_totals_are_the_counted_ones(dbs):
    """range_totals_whole.sql (the summary's figures) for a range holding every affected payment
    gives what counting affected_transactions gives; a narrower range is counted."""
    view, _ = dbs
    s = queries.summary(view)
    start, end = s["first_affected_at"], s["last_affected_at"]
    counted = view.query_file("serve/range_totals", {"from": start, "to": end})
    assert view.query_file("serve/range_totals_whole", {"from": start, "to": end}).equals(counted)
    assert queries.range_totals(view, start, end) == counted.to_dicts()[0]
    first, last = datetime.fromisoformat(start), datetime.fromisoformat(end)
    later = first + (last - first) / 2
    assert view.query_file("serve/range_totals_whole", {"from": later, "to": end}).height == 0
    assert queries.range_totals(view, later, end) == view.query_file(
        "serve/range_totals", {"from": later, "to": end}).to_dicts()[0]
    assert 0 < queries.range_totals(view, later, end)["affected_txns"] < s["affected_txns"]


def test_a_labelled_analysis_resolves_its_own_view(sample_db, tmp_path):
    """The views of a label live in its schema and read its tables, whatever the search path."""
    path = tmp_path / "labels.duckdb"
    shutil.copyfile(sample_db, path)
    with Database(path) as db:
        s = db.dicts("SELECT bad_change_id, fix_change_id FROM incident_summary")[0]
        # another period in main, the sample's own in the label: the two views must differ
        analyze(db, AnalysisParams(label="named", bad_change=s["bad_change_id"], fix_change=s["fix_change_id"],
                                   lag_tolerance_ms=1))
        labels.set_path(db, "main")
        main_rows = sorted_frame(db, "SELECT * FROM priced_transactions")
        label_rows = sorted_frame(db, "SELECT * FROM analysis_named.priced_transactions")
        labels.use(db, "named")
        assert sorted_frame(db, "SELECT * FROM priced_transactions").equals(label_rows)
        build_full(db)
        assert sorted_frame(db, "SELECT * FROM priced_full").equals(label_rows)
        assert not label_rows.equals(main_rows)  # the tolerance changed what is lagged
