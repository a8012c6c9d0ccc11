"""The dashboard: its queries (analyzer.serve.queries) and every page under streamlit's AppTest.

The pages run on a copy of the sample database (the dashboard keeps a cached read-only
connection open for the whole session; a copy keeps it away from the other tests' writers).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sys
from decimal import Decimal

import duckdb
import polars as pl
import pytest

from analyzer.db import Database
from analyzer.serve import queries
from analyzer.serve.queries import UserFilters
from analyzer.formatting import compact_duration, compact_money, count, duration, money
from tests.conftest import ROOT, ingest_sample, run_cli

APP = str(ROOT / "dashboards" / "app.py")
PAGES = ["views/overview.py", "views/timeline.py", "views/follow_up.py", "views/affected_users.py",
         "views/merchants.py", "views/config_changes.py", "views/guardrails.py", "views/data_quality.py",
         "views/review.py"]


@pytest.fixture(scope="module")
def dash_db(sample_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("dash") / "incident.duckdb"
    shutil.copyfile(sample_db, path)
    return path


@pytest.fixture(scope="module")
def db(dash_db):
    database = Database(dash_db, read_only=True)
    yield database
    database.close()


@pytest.fixture
def app(dash_db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("ANALYZER_DB", str(dash_db))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_page(at, page):
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


# Tables by the columns they hold (only a selectable dataframe carries its key into AppTest).
TABLES = {"timeline_table": ("ordinal", "since_first_affected_s"), "users_table": ("user_id", "exploit_reason"),
          "user_payments_table": ("txn_id", "logged_version", "refunded_amount"),
          "scenes_table": ("scene", "affected_merchants"), "merchants_table": ("merchant_id", "affected_users"),
          "changes_table": ("change_id", "changed_fields"), "diff_table": ("field", "changed"),
          "impact_table": ("rank", "evidence"), "manifest_table": ("sha256",), "reasons_table": ("reason", "files"),
          "examples_table": ("reason", "message")}


def rendered(markdown: str) -> str:
    """Markdown source as it reads: backslash escapes removed (data values are escaped)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def table(at, name):
    for frame in at.dataframe:
        if set(TABLES[name]) <= set(frame.value.columns):
            return frame.value
    raise KeyError(f"no table {name} on the page")


# --- the queries -----------------------------------------------------------------------------
def test_a_healthy_database_has_no_problem(db):
    assert queries.problem(db) is None


def test_filters_sort_and_page_affected_users(db):
    everyone = db.polars("SELECT user_id, excess_total, scenes, exploit_flag, fully_refunded_txns, "
                         "partially_refunded_txns FROM affected_users")
    totals = queries.affected_users_totals(db, mask=False)
    assert totals["users"] == everyone.height
    assert money(totals["excess_total"]) == money(db.scalar("SELECT excess_total FROM incident_summary"))

    filters = UserFilters(scenes=("transfer", "rent"), min_excess=Decimal("10"), refunded=False)
    expected = {r["user_id"] for r in everyone.to_dicts()
                if set(r["scenes"]) & {"transfer", "rent"} and r["excess_total"] >= Decimal("10")
                and r["fully_refunded_txns"] + r["partially_refunded_txns"] == 0}
    assert queries.affected_users_totals(db, filters, mask=False)["users"] == len(expected)
    got = set()
    for offset in range(0, len(expected) + 1, 100):
        page = queries.affected_users_page(db, filters, sort="user_id", descending=False, limit=100, offset=offset,
                                          mask=False)
        ids = page.get_column("user_id").to_list()
        assert ids == sorted(ids)
        got.update(ids)
    assert got == expected

    exploiters = queries.affected_users_page(db, UserFilters(exploit=True), limit=1000, mask=False)
    assert exploiters.height == everyone.filter("exploit_flag").height
    top = queries.affected_users_page(db, limit=5, mask=False).get_column("excess_total").to_list()
    assert top == sorted(top, reverse=True)


def test_search_works_on_the_id_as_shown(db):
    masked = queries.affected_users_page(db, limit=1, mask=True).get_column("user_id")[0]
    assert masked.startswith("anon-")
    found = queries.affected_users_page(db, UserFilters(search=masked[5:11].upper()), mask=True)
    assert masked in found.get_column("user_id").to_list()
    real = queries.affected_users_page(db, limit=1, mask=False).get_column("user_id")[0]
    assert queries.affected_users_totals(db, UserFilters(search=real), mask=True)["users"] == 0


def test_sorting_accepts_only_whitelisted_columns(db):
    with pytest.raises(ValueError, match="cannot sort"):
        queries.affected_users_page(db, sort="excess_total; DROP TABLE affected_users", mask=False)
    with pytest.raises(ValueError, match="page"):
        queries.affected_users_page(db, limit=10**6)
    # a hostile search string is a value, not SQL
    hostile = UserFilters(search="' OR 1=1 --")
    assert queries.affected_users_totals(db, hostile, mask=False)["users"] == 0


def test_the_drill_down_shows_the_users_payments_masked_or_not(db):
    real = queries.affected_users_page(db, limit=1, mask=False).row(0, named=True)
    masked = queries.affected_users_page(db, limit=1, mask=True).get_column("user_id")[0]
    plain = queries.user_payments(db, real["user_id"], mask=False)
    hidden = queries.user_payments(db, masked, mask=True)
    assert plain.height == db.scalar("SELECT count(*) FROM priced_transactions WHERE user_id = ?", [real["user_id"]])
    assert plain.get_column("txn_id").to_list() == hidden.get_column("txn_id").to_list()
    affected = plain.filter(plain.get_column("affected"))
    assert affected.height == real["affected_txns"]
    assert sum(affected.get_column("excess").to_list()) == real["excess_total"]
    assert {"amount", "discount", "expected", "excess", "logged_version", "explained_by", "refunded_amount"} <= set(plain.columns)
    assert queries.user_payments(db, real["user_id"], mask=True).is_empty()  # masked: only the pseudonym resolves
    notable = queries.user_payments(db, masked, mask=True, ordinary=False)  # the stored ones only, no scan
    assert notable.equals(hidden.filter(pl.col("txn_id").is_in(
        [r[0] for r in db.rows("SELECT txn_id FROM priced_exceptions WHERE user_id = ?", [real["user_id"]])])))
    assert notable.filter(notable.get_column("affected")).height == real["affected_txns"]


def test_the_unfiltered_download_is_the_report_export(db, tmp_path):
    from analyzer.report.exports import write_csv

    tz = db.scalar("SELECT display_tz FROM incident_summary")
    for mask in (False, True):
        report = write_csv(db, "affected_users", tmp_path / f"report-{mask}", mask_pii=mask, tz=tz)
        download = queries.write_affected_users_csv(db, tmp_path / f"download-{mask}.csv", mask=mask, tz=tz)
        assert download.read_bytes() == report.read_bytes()


def test_a_filtered_download_is_the_matching_rows_of_the_export(db, tmp_path):
    from analyzer.report.exports import write_csv

    tz = db.scalar("SELECT display_tz FROM incident_summary")
    report = write_csv(db, "affected_users", tmp_path / "report", mask_pii=True, tz=tz).read_text(encoding="utf-8")
    filters = UserFilters(scenes=("transfer",), min_excess=Decimal("50"), exploit=False)
    download = queries.write_affected_users_csv(db, tmp_path / "filtered.csv", filters, mask=True, tz=tz)
    lines = report.splitlines(keepends=True)
    rows = list(csv.DictReader(io.StringIO(report)))
    keep = [line for line, r in zip(lines[1:], rows)
            if "transfer" in r["scenes"].split(";") and Decimal(r["excess_total"]) >= 50 and r["exploit_flag"] == "false"]
    assert keep, "the filter should keep some rows of the sample"
    assert download.read_text(encoding="utf-8") == lines[0] + "".join(keep)
    assert len(keep) == queries.affected_users_totals(db, filters, mask=True)["users"]

    xlsx = queries.write_affected_users_xlsx(db, tmp_path / "filtered.xlsx", filters, mask=True, tz=tz)
    import openpyxl

    book = openpyxl.load_workbook(xlsx, read_only=True)
    try:
        cells = list(book.worksheets[0].iter_rows(values_only=True))
        about = dict(book["about"].iter_rows(values_only=True))
    finally:
        book.close()
    assert list(cells[0]) == lines[0].strip().split(",")
    assert [r[0] for r in cells[1:]] == [line.split(",")[0] for line in keep]
    # the report's writer: money as numbers, instants as the zone's wall clock, the filters named
    header = list(cells[0])
    for cell_row, r in zip(cells[1:], [r for r in rows if r["user_id"] in {line.split(",")[0] for line in keep}]):
        assert cell_row[header.index("excess_total")] == float(r["excess_total"])
        assert cell_row[header.index("first_affected_at")].isoformat(timespec="milliseconds") == \
            r["first_affected_at"][:23]
    assert about["filters"] == "scenes=transfer, min_excess=50, exploit=False"
    assert about["rows"] == len(keep) and about["ids"] == "pseudonyms (masked)"


def test_launch_runs_streamlit_on_the_app_with_the_database(tmp_path):
    from analyzer.serve.launch import APP as app_path
    from analyzer.serve.launch import command

    cmd = command(tmp_path / "x.duckdb", port=8600, host="127.0.0.1")
    assert cmd[:4] == [sys.executable, "-m", "streamlit", "run"] and cmd[4] == str(app_path)
    assert app_path == ROOT / "dashboards" / "app.py"
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1" and cmd[cmd.index("--server.port") + 1] == "8600"
    assert cmd[cmd.index("--server.headless") + 1] == "true"
    assert cmd[-3:] == ["--", "--db", str((tmp_path / "x.duckdb").resolve())]


# --- the pages -------------------------------------------------------------------------------
def test_every_page_renders(app):
    for page in PAGES:
        open_page(app, page)


def test_overview_figures_equal_analyzer_summary(app, dash_db):
    result = run_cli("summary", "--db", dash_db, "--json")
    assert result.code == 0, result.stderr
    s = json.loads(result.stdout)
    open_page(app, "views/overview.py")
    shown = {m.label: m.value for m in app.metric}
    assert shown["Affected users"] == count(s["affected_users"])
    assert shown["Affected payments"] == count(s["affected_txns"])
    assert shown["Affected merchants"] == count(s["affected_merchants"])
    assert shown["Exploiters"] == count(s["exploiters"])
    helps = {m.label: m.help for m in app.metric}
    assert shown["Excess (gross)"] == compact_money(s["excess_total"]) == "3.98M"  # never cut on a card
    assert shown["Excess net of refunds"] == compact_money(s["net_excess_total"])
    assert helps["Excess (gross)"].startswith(f"Exactly {money(s['excess_total'])}")  # the exact figure on hover
    assert helps["Excess net of refunds"].startswith(f"Exactly {money(s['net_excess_total'])}")
    assert shown["Exposure"] == compact_duration(s["exposure_s"])
    assert helps["Exposure"].startswith(f"Exactly {duration(s['exposure_s'])}")
    assert shown["Time to detect"] == compact_duration(s["time_to_detect_s"])
    assert helps["Time to detect"].startswith(f"Exactly {duration(s['time_to_detect_s'])}")
    assert shown["Time to mitigate"] == compact_duration(s["time_to_mitigate_s"])
    assert helps["Time to mitigate"].startswith(f"Exactly {duration(s['time_to_mitigate_s'])}")
    assert shown["Propagation lag"] == compact_duration(s["propagation_lag_end_s"])
    assert helps["Propagation lag"].startswith(f"Exactly {duration(s['propagation_lag_end_s'])}")
    text = " ".join(rendered(m.value) for m in app.markdown)
    assert s["bad_change_actor"] in text and s["bad_change_id"] in text
    assert money(s["excess_total"]) in text
    assert "discount_type: fixed → percent" in text  # the bad change in one line: field, from, to


def test_the_time_zone_switch(app):
    open_page(app, "views/timeline.py")
    local = table(app, "timeline_table")["ts"].tolist()
    assert all(t.endswith("+08:00") for t in local)
    app.sidebar.radio(key="tz").set_value("UTC").run()
    assert all(t.endswith("+00:00") for t in table(app, "timeline_table")["ts"].tolist())


def test_a_time_range_filters_the_timeline_tables(app, db):
    open_page(app, "views/timeline.py")
    whole = table(app, "timeline_table")
    assert len(whole) == db.scalar("SELECT count(*) FROM timeline WHERE NOT collapsed")  # older context collapsed
    app.toggle(key="timeline_older").set_value(True).run()
    assert len(table(app, "timeline_table")) == db.scalar("SELECT count(*) FROM timeline")
    app.toggle(key="timeline_older").set_value(False).run()
    start, end = db.one("SELECT first_affected_at, first_affected_at + INTERVAL 2 MINUTE FROM incident_summary")
    app.session_state["timeline_range"] = (start, end)  # what a box selection on the chart sets
    app.run()
    narrowed = table(app, "timeline_table")
    assert 0 < len(narrowed) < len(whole)
    assert len(narrowed) == db.scalar("SELECT count(*) FROM timeline WHERE ts BETWEEN ? AND ?", [start, end])
    shown = {m.label: m.value for m in app.metric}
    expected = db.scalar("SELECT count(*) FROM affected_transactions WHERE ts BETWEEN ? AND ?", [start, end])
    assert shown["Affected payments"] == count(expected)
    assert any("Selected range" in m.value for m in app.markdown)


def test_the_filters_change_the_user_rows(app, db):
    open_page(app, "views/affected_users.py")
    first = table(app, "users_table")
    assert len(first) == 50
    assert any(f"{count(db.scalar('SELECT count(*) FROM affected_users'))}** users match" in c.value for c in app.caption)

    app.selectbox(key="users_exploit").select("Exploiters only").run()
    exploiters = db.scalar("SELECT count(*) FROM affected_users WHERE exploit_flag")
    rows = table(app, "users_table")
    assert len(rows) == min(50, exploiters) and set(rows["exploit_flag"]) == {True}

    app.selectbox(key="users_exploit").select("Any").run()
    app.text_input(key="users_min_excess").input("1000").run()
    rows = table(app, "users_table")
    expected = db.scalar("SELECT count(*) FROM affected_users WHERE excess_total >= 1000")
    assert len(rows) == min(50, expected)
    assert all(Decimal(v.replace(",", "")) >= 1000 for v in rows["excess_total"])

    app.multiselect(key="users_scenes").select("rent").run()
    expected = db.scalar("SELECT count(*) FROM affected_users WHERE excess_total >= 1000 AND list_contains(scenes, 'rent')")
    assert len(table(app, "users_table")) == min(50, expected)

    app.selectbox(key="users_sort").select("user_id").run()
    app.toggle(key="users_desc").set_value(False).run()
    ids = table(app, "users_table")["user_id"].tolist()
    assert ids == sorted(ids) and all(i.startswith("anon-") for i in ids)


def test_the_user_drill_down(app, db):
    open_page(app, "views/affected_users.py")
    top = table(app, "users_table").iloc[0]
    app.text_input(key="drill_user").input(top["user_id"]).run()
    notable = table(app, "user_payments_table")
    real = db.scalar("SELECT user_id FROM affected_users WHERE pseudonym(user_id) = ?", [top["user_id"]])
    assert len(notable) == db.scalar("SELECT count(*) FROM priced_exceptions WHERE user_id = ?", [real])
    app.toggle(key="drill_ordinary").set_value(True).run()  # every priced payment of the user, ordinary too
    payments = table(app, "user_payments_table")
    assert len(payments) == db.scalar("SELECT count(*) FROM priced_transactions WHERE user_id = ?", [real]) > len(notable)
    assert set(notable["txn_id"]) < set(payments["txn_id"])
    assert {"amount", "discount", "expected", "excess", "logged_version", "refunded_amount"} <= set(payments.columns)
    shown = {m.label: m.value for m in app.metric}
    assert shown["Affected"] == count(int(top["affected_txns"]))
    assert shown["Excess"] == top["excess_total"]

    app.sidebar.toggle(key="reveal").set_value(True).run()  # revealed: the real id now, same payments
    app.text_input(key="drill_user").input(real).run()
    assert len(table(app, "user_payments_table")) == len(payments)
    assert all(not i.startswith("anon-") for i in table(app, "users_table")["user_id"])


def test_merchants_config_changes_and_data_quality(app, db):
    open_page(app, "views/merchants.py")
    assert len(table(app, "scenes_table")) == db.scalar("SELECT count(*) FROM affected_scenes")
    merchants = table(app, "merchants_table")
    assert len(merchants) == min(50, db.scalar("SELECT count(*) FROM affected_merchants"))
    assert all(m.startswith("anon-") for m in merchants["merchant_id"].dropna())

    open_page(app, "views/config_changes.py")
    assert len(table(app, "changes_table")) == db.scalar("SELECT count(*) FROM config_versions")
    diff = table(app, "diff_table")
    changed = set(diff.loc[diff["changed"] == "changed", "field"])
    bad_fields = db.scalar("SELECT list_transform(diff, lambda d: d.field) FROM config_versions "
                           "WHERE change_id = (SELECT bad_change_id FROM incident_summary)")
    assert changed == set(bad_fields)
    assert len(table(app, "impact_table")) == db.scalar("SELECT count(*) FROM change_impact")

    open_page(app, "views/data_quality.py")
    assert len(table(app, "manifest_table")) == db.scalar("SELECT count(*) FROM load_manifest")
    reasons = table(app, "reasons_table")
    assert reasons["rows"].sum() == db.scalar("SELECT count(*) FROM rejects")
    assert "raw" not in table(app, "examples_table").columns  # masked: raw rows hold ids


def test_guardrails_page_shows_exactly_analyzer_replay(app, dash_db, tmp_path):
    res = run_cli("replay", "--db", dash_db, "--json")
    assert res.code == 0, res.stderr
    expected = json.loads(res.stdout)
    open_page(app, "views/guardrails.py")
    shown = app.dataframe[0].value
    assert shown["rule"].tolist() == [o["name"] for o in expected]
    for (_, row), o in zip(shown.iterrows(), expected):
        assert row["excess_prevented"] == money(o["excess_prevented"])
        assert row["excess_leaked"] == money(o["excess_leaked"])
        assert row["legit_discount_blocked"] == money(o["legit_discount_blocked"])
        assert row["payments_blocked"] == o["payments_blocked"]
        assert row["legit_payments_blocked"] == o["legit_payments_blocked"]
        assert row["time_to_trip_s"] == duration(o["time_to_trip_s"])
        assert row["tripped_at"].endswith("+08:00")
    assert any("Recommended: second" in rendered(m.value) for m in app.success)
    spec = json.loads(app.get("plotly_chart")[0].proto.spec)  # a marker at each rule's trip instant
    marked = [t["meta"]["rule"] for t in spec["data"] if (t.get("meta") or {}).get("role") == "trip"]
    assert marked == [o["name"] for o in expected if o["tripped_at"] is not None]

    # another cap, replayed on the spot: the same figures as `analyzer replay` with that rule in a file
    app.text_input(key="try_cap").input("100.00").run()
    assert not app.exception and not app.error
    rules = tmp_path / "cap.toml"
    rules.write_text('[[rules]]\nname = "your cap"\nkind = "per_payment_cap"\nmax_discount = "100.00"\n', "utf-8")
    (cap,) = json.loads(run_cli("replay", "--db", dash_db, "--rules", rules, "--json").stdout)
    mine = app.dataframe[1].value
    row = mine[mine["rule"] == "your cap"].iloc[0]
    assert row["excess_prevented"] == money(cap["excess_prevented"])
    assert row["legit_discount_blocked"] == money(cap["legit_discount_blocked"])

    # odd input: one clear message, no traceback, the rest of the page still there
    app.text_input(key="try_factor").input("3; DROP TABLE x").run()
    assert not app.exception
    assert [rendered(e.value) for e in app.error] == ["your burn rate field 'factor': not a number (got '3; DROP TABLE x')"]
    app.text_input(key="try_cap").input("0.001").run()
    assert any("exact amount of money" in rendered(e.value) for e in app.error)


# --- a clear page, not a traceback --------------------------------------------------------------
def problem_page(monkeypatch, path):
    from streamlit.testing.v1 import AppTest

    if path is None:
        monkeypatch.delenv("ANALYZER_DB", raising=False)
    else:
        monkeypatch.setenv("ANALYZER_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.message for e in at.exception]
    return at.error[0].value, at.code[0].value


def test_no_database(monkeypatch, tmp_path):
    message, command = problem_page(monkeypatch, None)
    assert "No database" in message and command.startswith("analyzer dashboard --db")
    message, command = problem_page(monkeypatch, tmp_path / "missing.duckdb")
    assert "not found" in message and "analyzer ingest" in command and "analyzer analyze" in command


def test_an_empty_or_foreign_file(monkeypatch, tmp_path):
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    message, command = problem_page(monkeypatch, empty)
    assert "empty" in message and command.startswith("analyzer ingest")
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database")
    message, command = problem_page(monkeypatch, junk)
    assert "Cannot open" in message


def test_a_database_not_yet_analyzed(monkeypatch, tmp_path, sample_dir):
    path = tmp_path / "ingested.duckdb"
    ingest_sample(path, sample_dir)
    message, command = problem_page(monkeypatch, path)
    assert "not been analyzed" in message and command == f"analyzer analyze --db {path}"
