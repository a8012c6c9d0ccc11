"""`analyzer report`: snapshots of every format from a small hand-made incident, money that
reconciles to the cent, byte-identical re-runs, the privacy policy, the Timesketch shape, the
export contract the dashboard relies on, and a real Chromium opening the HTML offline.

The hand-made incident (tests/fixtures/report_incident/) is read with --tz Asia/Shanghai and has
the hard values: a NULL payee, unicode user and payee ids ("用户-α", "商户-β") and actor ("王伟"),
a 12.5% discount whose cents round half away from zero (0.04 -> 0.01, 10.04 -> 1.26), an
under-discounted payment no version explains, a lagging node after the rollback, a full and a
partial refund, and instants that cross midnight in UTC (the incident, 07:59:50-08:00:35 +08:00)
and in Asia/Shanghai (the statement and a scam report). Snapshots live in
tests/fixtures/report_snapshots/; `UPDATE_SNAPSHOTS=1 pytest tests/test_report.py` rewrites them.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_cli

INCIDENT = FIXTURES / "report_incident"
SNAPSHOTS = FIXTURES / "report_snapshots"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
GENERATED_AT = datetime(2025, 1, 20, 9, 30, tzinfo=timezone.utc)
ANALYZED_AT = "2025-01-18 12:00:00+00"
CHROMIUM = Path("/usr/bin/chromium")
RAW_IDS = ("用户-α", "u-2", "u-3", "u-4", "商户-β", "M-1", "M-2")


# --- fixtures ---------------------------------------------------------------------------------
def build_incident_db(path: Path) -> Path:
    """Ingest and analyze the hand-made incident; pin what would change between builds."""
    from analyzer.analysis.pipeline import AnalysisParams, analyze
    from analyzer.db import Database
    from analyzer.ingest import ingest

    with Database(path) as db:
        ingest(db, transactions=[INCIDENT / "transactions.csv"], config_changes=[INCIDENT / "config_changes.jsonl"],
               events=[INCIDENT / "events.csv"], tz="Asia/Shanghai")
        analyze(db, AnalysisParams(exploit_min_txns=2))
        # the analysis time and the pseudonym key are random per build: pin them for snapshots
        db.execute(f"UPDATE incident_summary SET analyzed_at = TIMESTAMPTZ '{ANALYZED_AT}'").fetchall()
        db.execute("UPDATE privacy_key SET key = 'report-snapshot-key'").fetchall()
        db.execute(f"UPDATE load_manifest SET ingested_at = TIMESTAMPTZ '{ANALYZED_AT}'").fetchall()
    return path


@pytest.fixture(scope="session")
def incident_db(tmp_path_factory) -> Path:
    return build_incident_db(tmp_path_factory.mktemp("report_db") / "incident.duckdb")


def write(db_path: Path, out: Path, *, browser: bool = False, **kwargs):
    """write_reports on a read-only database; without a browser unless asked (fast, deterministic)."""
    from analyzer.db import Database
    from analyzer.report import figures, write_reports

    with pytest.MonkeyPatch.context() as mp:
        if not browser:
            mp.setattr(figures, "find_browser", lambda: None)
        with Database(db_path, read_only=True) as db:
            return write_reports(db, out, generated_at=GENERATED_AT, **kwargs)


@pytest.fixture(scope="session")
def reports(incident_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    return out, write(incident_db, out)


@pytest.fixture(scope="session")
def masked_reports(incident_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports_masked")
    return out, write(incident_db, out, mask_pii=True)


# --- snapshot helpers -------------------------------------------------------------------------
def assert_snapshot(name: str, actual: bytes | str) -> None:
    data = actual.encode("utf-8") if isinstance(actual, str) else actual
    path = SNAPSHOTS / name
    if not UPDATE and not path.exists():
        pytest.fail(f"snapshot {name} is missing (run with UPDATE_SNAPSHOTS=1, review it, and commit it)")
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return
    expected = path.read_bytes()
    if expected != data:
        a, e = data.decode("utf-8", "replace").splitlines(), expected.decode("utf-8", "replace").splitlines()
        first = next((i for i, (x, y) in enumerate(zip(a, e)) if x != y), min(len(a), len(e)))
        pytest.fail(f"{name} differs from its snapshot at line {first + 1}:\n"
                    f"  expected: {e[first] if first < len(e) else '<end>'}\n"
                    f"  actual:   {a[first] if first < len(a) else '<end>'}\n"
                    "(UPDATE_SNAPSHOTS=1 rewrites the snapshots)")


def html_without_charts(text: str) -> str:
    """The page with each Plotly fragment replaced by its id: plotly.js and the figures are
    analyzer.charts' (tested there); the browser test checks that they draw."""
    text = re.sub(r'<div style="[^"]*">\s*(?:<script.*?</script>\s*)*<div id="(chart-\w+)".*?</script>\s*</div>',
                  r"[plotly \1]", text, flags=re.S)
    assert "<script" not in text
    return text


def xlsx_dump(path: Path) -> str:
    import openpyxl

    book = openpyxl.load_workbook(path)
    out = []
    for sheet in book.worksheets:
        out.append(f"## sheet {sheet.title} freeze={sheet.freeze_panes} filter={sheet.auto_filter.ref}")
        for row in sheet.iter_rows():
            cells = []
            for c in row:
                if c.value is None:
                    cells.append("∅")
                    continue
                value = c.value.isoformat() if isinstance(c.value, datetime) else repr(c.value)
                cells.append(value if c.number_format == "General" else f"{value} [{c.number_format}]")
            out.append(" | ".join(cells))
    return "\n".join(out) + "\n"


def parquet_dump(path: Path) -> str:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    rows = [json.dumps({k: str(v) if v is not None else None for k, v in r.items()}, ensure_ascii=False)
            for r in table.to_pylist()]
    return table.schema.to_string(show_schema_metadata=False) + "\n" + "\n".join(rows) + "\n"


def normalised_manifest(path: Path) -> str:
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["database"] = "<database>"
    for item in doc["files"]:
        if item["path"].endswith(".html"):  # holds analyzer.charts' figures: see html_without_charts
            item["sha256"], item["bytes"] = "<html>", "<html>"
    for item in doc["inputs"]:
        item["path"] = Path(item["path"]).name
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# --- snapshots --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["affected_users.csv", "affected_transactions.csv", "affected_merchants.csv",
                                  "exploiters.csv", "notify.csv", "notify_merchants.csv",
                                  "timeline.jsonl", "timeline.csv", "incident_report.md"])
def test_text_formats_match_their_snapshots(reports, name):
    out, _ = reports
    assert_snapshot(name, (out / name).read_bytes())


def test_html_matches_its_snapshot(reports):
    out, _ = reports
    assert_snapshot("incident_report.html", html_without_charts((out / "incident_report.html").read_text("utf-8")))


@pytest.mark.parametrize("name", ["affected_users", "affected_transactions", "affected_merchants"])
def test_xlsx_and_parquet_match_their_snapshots(reports, name):
    out, _ = reports
    assert_snapshot(f"{name}.xlsx.txt", xlsx_dump(out / f"{name}.xlsx"))
    assert_snapshot(f"{name}.parquet.txt", parquet_dump(out / f"{name}.parquet"))


def test_manifest_matches_its_snapshot(reports):
    out, _ = reports
    assert_snapshot("manifest.json", normalised_manifest(out / "manifest.json"))


@pytest.mark.parametrize("name", ["affected_users.csv", "affected_transactions.csv", "incident_report.md"])
def test_masked_formats_match_their_snapshots(masked_reports, name):
    out, _ = masked_reports
    assert_snapshot(f"masked_{name}", (out / name).read_bytes())


def test_csv_in_utc_crosses_midnight(incident_db, tmp_path):
    """The same export in UTC: the incident straddles midnight (2025-01-16T23:59 -> 2025-01-17T00:00)."""
    from analyzer.db import Database
    from analyzer.report.exports import copy_csv, select_sql

    with Database(incident_db, read_only=True) as db:
        copy_csv(db, select_sql("affected_transactions", mask_pii=False), {"tz": "UTC"}, tmp_path / "utc.csv")
    text = (tmp_path / "utc.csv").read_text("utf-8")
    assert "2025-01-16T23:59:51.123+00:00" in text and "2025-01-17T00:00:00.000+00:00" in text
    assert_snapshot("affected_transactions_utc.csv", text)


# --- the numbers ------------------------------------------------------------------------------
def test_hard_values_in_the_csv(reports):
    out, _ = reports
    txns = {r["txn_id"]: r for r in read_csv(out / "affected_transactions.csv")}
    assert txns["P04"]["discount"] == "0.01"           # 12.5% of 0.04 = 0.005 -> 0.01 (half away from zero)
    assert txns["P03"]["discount"] == "1.26"           # 12.5% of 10.04 = 1.255 -> 1.26
    assert txns["P03"]["merchant_id"] == ""            # NULL payee
    assert txns["P03"]["user_id"] == "用户-α"
    assert txns["P10"]["excess"] == "-0.50"            # under-discounted
    assert txns["P06"]["net_excess"] == "0.00" and txns["P06"]["fully_refunded"] == "true"
    assert txns["P07"]["partially_refunded"] == "true"
    assert txns["P08"]["lagged"] == "true" and txns["P08"]["in_bad_period"] == "false"
    assert txns["P05"]["ts"] == "2025-01-17T08:00:00.000+08:00"
    merchants = read_csv(out / "affected_merchants.csv")
    assert [m["merchant_id"] for m in merchants] == ["商户-β", "M-1", "", "M-2"]


@pytest.mark.parametrize("db_fixture", ["incident_db", "sample_db"])
def test_csv_totals_equal_the_summary_to_the_cent(request, db_fixture, tmp_path):
    from analyzer.db import Database
    from analyzer.analysis.summary import load_summary

    db_path = request.getfixturevalue(db_fixture)
    write(db_path, tmp_path, formats=("csv",))
    with Database(db_path, read_only=True) as db:
        summary = load_summary(db)
    users = read_csv(tmp_path / "affected_users.csv")
    txns = read_csv(tmp_path / "affected_transactions.csv")
    merchants = read_csv(tmp_path / "affected_merchants.csv")
    assert len(users) == summary["affected_users"]
    assert len(txns) == summary["affected_txns"]
    for rows, excess, net in ((users, "excess_total", "net_excess_total"), (txns, "excess", "net_excess"),
                              (merchants, "excess_total", "net_excess_total")):
        assert sum(Decimal(r[excess]) for r in rows) == Decimal(summary["excess_total"])
        assert sum(Decimal(r[net]) for r in rows) == Decimal(summary["net_excess_total"])
        assert all(re.fullmatch(r"-?\d+\.\d\d", r[excess]) for r in rows)  # exact, two decimals, no exponent
    assert sum(r["exploit_flag"] == "true" for r in users) == summary["exploiters"]


def test_guardrails_are_the_replay_of_the_default_rules(incident_db, reports):
    """Hand-computed from the fixture: 519.02 at stake (the over-discount of P03, P04, P05, P06, P07 and
    the lagged P08; P10 is under-discounted). The cap of 20.00 cuts P06 (125.00) and P07 (375.00); the
    budget of 50.00 a day leaves 用户-α 48.24 for P06 (0.50 + 1.26 spent) and u-3 nothing for P08 after
    P07 (its intended 0.50 is the legitimate cost); eleven minutes of data hold no hour of baseline, so
    the burn rate never trips; both change rules hold C2."""
    from analyzer.db import Database
    from analyzer.guardrails.replay import replay
    from analyzer.guardrails.rules import load_rules

    with Database(incident_db, read_only=True) as db:
        result = replay(db, load_rules())
    got = {o.name: (o.payments_blocked, o.excess_prevented, o.excess_leaked, o.legit_discount_blocked,
                    o.legit_payments_blocked) for o in result.outcomes}
    assert got == {
        "cap-20": (2, Decimal("460.00"), Decimal("59.02"), Decimal("0.00"), 0),
        "user-budget-50-a-day": (3, Decimal("407.51"), Decimal("111.51"), Decimal("0.50"), 1),
        "burn-rate-3x": (0, Decimal("0.00"), Decimal("519.02"), Decimal("0.00"), 0),
        "second-approver": (6, Decimal("519.02"), Decimal("0.00"), Decimal("0.00"), 0),
        "purchase-scenes-only": (6, Decimal("519.02"), Decimal("0.00"), Decimal("0.00"), 0),
    }
    cap = result.outcomes[0]
    assert cap.tripped_at == datetime(2025, 1, 17, 0, 0, 10, 500000, tzinfo=timezone.utc) and cap.time_to_trip_s == 20.5
    assert result.recommendation.rules == ("second-approver",)
    out, _ = reports
    md = (out / "incident_report.md").read_text("utf-8")
    assert "| cap-20 | per\\_payment\\_cap |" not in md  # underscores inside words stay literal
    assert "| cap-20 | per_payment_cap | no payment keeps more than 20.00 of discount | 2025-01-17 08:00:10.500 +08:00 | 20.5s |" in md
    assert "Recommended: second-approver" in md and "did not trip" in md


def test_report_rules_option(incident_db, tmp_path, cli):
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rules]]\nname = "cap-100"\nkind = "per_payment_cap"\nmax_discount = "100.00"\n', "utf-8")
    res = cli("report", "--db", incident_db, "--out", tmp_path / "out", "--format", "md", "--rules", rules)
    assert res.code == 0, res.stderr
    md = (tmp_path / "out" / "incident_report.md").read_text("utf-8")
    assert "| cap-100 |" in md and "second-approver" not in md
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text("utf-8"))
    import hashlib

    assert manifest["report_parameters"]["guardrail_rules"] == str(rules)
    assert manifest["report_parameters"]["guardrail_rules_sha256"] == hashlib.sha256(rules.read_bytes()).hexdigest()
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rules]]\nname = "x"\nkind = "nope"\n', "utf-8")
    res = cli("report", "--db", incident_db, "--out", tmp_path / "none", "--rules", bad)
    assert res.code == 3 and "unknown rule kind" in res.stderr and not (tmp_path / "none").exists()


# --- determinism and privacy ------------------------------------------------------------------
@pytest.mark.parametrize("db_fixture", ["incident_db", "sample_db"])
def test_a_second_run_gives_the_same_bytes(request, db_fixture, tmp_path):
    db_path = request.getfixturevalue(db_fixture)
    formats = ("csv", "md", "html", "timeline")
    first = write(db_path, tmp_path / "one", formats=formats)
    second = write(db_path, tmp_path / "two", formats=formats)
    names = sorted(p.name for p in first.files if p.name != "manifest.json")
    assert names == sorted(p.name for p in second.files if p.name != "manifest.json")
    for name in names:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_default_policy_masks_documents_not_rows(reports):
    out, result = reports
    assert (result.rows_masked, result.documents_masked) == (False, True)
    assert "用户-α" in (out / "affected_users.csv").read_text("utf-8")
    assert "用户-α" in xlsx_dump(out / "affected_users.xlsx")
    for doc in ("incident_report.md", "incident_report.html"):
        text = (out / doc).read_text("utf-8")
        assert "anon-" in text
        for raw in ("用户-α", "商户-β"):
            assert raw not in text, (doc, raw)
        assert "pseudonyms" in text  # the report says what it did
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["report_parameters"]["rows_masked"] is False
    assert manifest["report_parameters"]["documents_masked"] is True


def test_mask_pii_masks_everywhere(masked_reports):
    out, result = masked_reports
    assert (result.rows_masked, result.documents_masked) == (True, True)
    for name in ("affected_users.csv", "affected_transactions.csv", "affected_merchants.csv", "incident_report.md",
                 "incident_report.html"):
        text = (out / name).read_text("utf-8")
        for raw in ("用户-α", "商户-β", ",u-3,", ",M-1,"):
            assert raw not in text, (name, raw)
    assert xlsx_dump(out / "affected_users.xlsx").count("anon-") == 4
    import pyarrow.parquet as pq

    assert all(u.startswith("anon-") for u in pq.read_table(out / "affected_users.parquet")["user_id"].to_pylist())
    # stable: the same id gives the same pseudonym in every file
    users = {r["user_id"] for r in read_csv(out / "affected_users.csv")}
    assert users <= {r["user_id"] for r in read_csv(out / "affected_transactions.csv")}
    assert all(u in (out / "incident_report.md").read_text("utf-8") for u in users)


def test_no_mask_pii_masks_nothing(incident_db, tmp_path):
    result = write(incident_db, tmp_path, formats=("md", "csv"), mask_pii=False)
    assert (result.rows_masked, result.documents_masked) == (False, False)
    md = (tmp_path / "incident_report.md").read_text("utf-8")
    assert "用户-α" in md and "anon-" not in md and "NOT masked" in md


# --- formats ------------------------------------------------------------------------------------
def test_result_lists_every_file_and_the_manifest_hashes_them(reports):
    import hashlib

    out, result = reports
    names = [p.name for p in result.files]
    assert names[-1] == "manifest.json"
    lists = ("affected_users", "affected_transactions", "affected_merchants", "exploiters", "notify",
             "notify_merchants")
    assert set(names) == {f"{n}.{ext}" for n in lists for ext in ("csv", "parquet", "xlsx")} | {
        "timeline.jsonl", "timeline.csv", "incident_report.html", "incident_report.md", "manifest.json"}
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert [f["path"] for f in manifest["files"]] == names[:-1]
    for f in manifest["files"]:
        assert hashlib.sha256((out / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    assert manifest["generated_at"] == "2025-01-20T09:30:00.000+00:00"
    assert {i["kind"] for i in manifest["inputs"]} == {"transactions", "config_changes", "events"}
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert not list(out.glob(".*.partial"))


def test_timeline_has_the_three_required_fields_on_every_line(reports):
    out, _ = reports
    lines = (out / "timeline.jsonl").read_text("utf-8").splitlines()
    assert lines
    for line in lines:
        event = json.loads(line)
        for key in ("message", "datetime", "timestamp_desc"):
            assert isinstance(event.get(key), str) and event[key], (key, line)
        parsed = datetime.fromisoformat(event["datetime"])
        assert parsed.tzinfo is not None
        assert int(parsed.timestamp() * 1_000_000) == event["timestamp"]
    rows = read_csv(out / "timeline.csv")
    assert len(rows) == len(lines)
    assert all(r["message"] and r["datetime"] and r["timestamp_desc"] for r in rows)


def test_xlsx_cells_are_typed_with_a_frozen_header_and_a_filter(reports):
    import openpyxl

    out, _ = reports
    sheet = openpyxl.load_workbook(out / "affected_users.xlsx")["affected_users"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:P5"
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, sheet[2]))
    assert row["excess_total"].value == 380.75 and row["excess_total"].number_format == "#,##0.00"
    assert row["first_affected_at"].value == datetime(2025, 1, 17, 8, 0, 20, 250000)  # wall clock, +08:00
    assert row["exploit_flag"].value is False


def test_xlsx_continues_on_a_new_sheet_past_the_row_limit(incident_db, tmp_path, monkeypatch):
    import openpyxl

    from analyzer.report import xlsx

    monkeypatch.setattr(xlsx, "MAX_ROWS", 3)
    write(incident_db, tmp_path, formats=("xlsx",))
    book = openpyxl.load_workbook(tmp_path / "affected_transactions.xlsx")
    assert book.sheetnames == ["affected_transactions", "affected_transactions (2)", "affected_transactions (3)", "about"]
    assert sum(s.max_row - 1 for s in book.worksheets[:3]) == 7


def test_markdown_without_a_browser_leaves_charts_out_with_a_note(reports):
    out, result = reports
    md = (out / "incident_report.md").read_text("utf-8")
    assert "charts left out" in md and "![" not in md
    assert any("charts left out" in n for n in result.notes)
    assert not list(out.glob("*.png"))


def test_only_the_chosen_formats_and_the_manifest(incident_db, tmp_path):
    result = write(incident_db, tmp_path, formats=("timeline",))
    assert [p.name for p in result.files] == ["timeline.jsonl", "timeline.csv", "manifest.json"]


def test_a_database_not_analyzed_is_a_data_error(tmp_path):
    from analyzer.db import Database
    from analyzer.errors import DataError
    from analyzer.ingest import ingest
    from analyzer.report import write_reports

    path = tmp_path / "raw.duckdb"
    with Database(path) as db:
        ingest(db, transactions=[INCIDENT / "transactions.csv"], config_changes=[INCIDENT / "config_changes.jsonl"],
               tz="Asia/Shanghai")
    with Database(path, read_only=True) as db, pytest.raises(DataError, match="analyzer analyze"):
        write_reports(db, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cli_report(incident_db, tmp_path):
    res = run_cli("report", "--db", incident_db, "--out", tmp_path / "out", "--format", "csv,timeline")
    assert res.code == 0, res.stderr
    printed = res.stdout.splitlines()
    assert [Path(p).name for p in printed] == ["affected_users.csv", "affected_transactions.csv",
                                               "affected_merchants.csv", "exploiters.csv", "notify.csv",
                                               "notify_merchants.csv", "timeline.jsonl", "timeline.csv",
                                               "manifest.json"]
    shutil.copy(incident_db, tmp_path / "copy.duckdb")
    from analyzer.db import Database

    with Database(tmp_path / "copy.duckdb") as db:
        db.execute("DROP TABLE affected_users").fetchall()
    res = run_cli("report", "--db", tmp_path / "copy.duckdb", "--out", tmp_path / "out2")
    assert res.code == 4 and "analyzer analyze" in res.stderr


# --- the contract with the dashboard ------------------------------------------------------------
def test_export_contract(incident_db, reports, tmp_path):
    from analyzer.db import Database
    from analyzer.report.exports import EXPORT_NAMES, copy_csv, copy_parquet, select_sql

    out, _ = reports
    assert EXPORT_NAMES == ("affected_users", "affected_transactions", "affected_merchants")
    for name in EXPORT_NAMES:
        for mask in (False, True):
            sql = select_sql(name, mask_pii=mask)
            assert not sql.rstrip().endswith(";")
            assert set(re.findall(r"\$([a-z_]+)", sql)) == {"tz"}
    users_sql = select_sql("affected_users", mask_pii=False)
    with Database(incident_db, read_only=True) as db:
        # the dashboard's "download CSV": wrapped, unfiltered, the same bytes as the report's file
        copy_csv(db, f"SELECT * FROM ({users_sql}) WHERE true", {"tz": "Asia/Shanghai"}, tmp_path / "download.csv")
        assert (tmp_path / "download.csv").read_bytes() == (out / "affected_users.csv").read_bytes()
        # its filters are plain columns of the result, with its own bound parameters
        rows = db.dicts(f"""SELECT * FROM ({users_sql})
                            WHERE excess_total >= $min AND net_excess_total >= $min AND NOT exploit_flag
                              AND scenes LIKE $scene AND fully_refunded_txns = 0""",
                        {"tz": "Asia/Shanghai", "min": Decimal("10.00"), "scene": "%shopping%"})
        assert [r["user_id"] for r in rows] == ["u-3", "u-2"]
        copy_parquet(db, select_sql("affected_users", mask_pii=True), {"tz": "UTC"}, tmp_path / "u.parquet")
    import pyarrow.parquet as pq

    schema = pq.read_schema(out / "affected_users.parquet")
    assert str(schema.field("excess_total").type) == "decimal128(18, 2)"
    assert str(schema.field("first_affected_at").type) == "timestamp[us, tz=UTC]"
    assert str(pq.read_schema(tmp_path / "u.parquet").field("excess_total").type) == "decimal128(18, 2)"
    header = (out / "affected_users.csv").read_text("utf-8").splitlines()[0].split(",")
    for column in ("user_id", "affected_txns", "amount_total", "discount_total", "expected_total", "excess_total",
                   "net_excess_total", "first_affected_at", "last_affected_at", "scenes", "exploit_flag",
                   "fully_refunded_txns"):
        assert column in header


# --- a real browser -------------------------------------------------------------------------------
def _need_chromium() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: the browser tests must run in CI")
        pytest.skip(f"{CHROMIUM} is missing")


@pytest.mark.browser
def test_html_opens_offline_in_chromium_and_shows_the_charts(reports):
    _need_chromium()
    from playwright.sync_api import sync_playwright

    out, _ = reports
    page_url = (out / "incident_report.html").resolve().as_uri()
    blocked: list[str] = []
    errors: list[str] = []

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.route("**/*", route)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_url)
            page.wait_for_selector("#chart-timeline .main-svg", timeout=30_000)
            assert page.locator(".js-plotly-plot").count() == 4  # timeline, scenes, payees, scam reports
            assert page.locator("#chart-timeline .scatterlayer .trace").count() >= 1
            assert page.locator("#chart-scenes .barlayer .trace").count() >= 1
            assert "What happened" in page.locator("h2").all_inner_texts()
        finally:
            browser.close()
    assert errors == []
    assert blocked == []  # nothing even tried to leave the file


@pytest.mark.browser
def test_markdown_gets_png_charts_from_chromium(incident_db, tmp_path):
    _need_chromium()
    result = write(incident_db, tmp_path, formats=("md",), browser=True)
    md = (tmp_path / "incident_report.md").read_text("utf-8")
    for name in ("timeline", "scenes", "merchants"):
        png = tmp_path / f"incident_report-{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({png.name})" in md
        assert png in result.files
    assert "charts left out" not in md


def test_select_sql_does_not_depend_on_the_session_zone(incident_db, reports, tmp_path):
    """The dashboard may open its own connection: the text instants come from $tz alone."""
    from analyzer.db import Database
    from analyzer.report.exports import copy_csv, select_sql

    out, _ = reports
    with Database(incident_db, read_only=True) as db:
        db.execute("SET TimeZone = 'America/New_York'").fetchall()
        copy_csv(db, select_sql("affected_users", mask_pii=False), {"tz": "Asia/Shanghai"}, tmp_path / "ny.csv")
    assert (tmp_path / "ny.csv").read_bytes() == (out / "affected_users.csv").read_bytes()


def test_an_incident_still_open_in_the_data(tmp_path):
    """No fix change (the rollback is missing from the log): every document still renders."""
    from analyzer.analysis.pipeline import analyze
    from analyzer.db import Database
    from analyzer.ingest import ingest

    changes = tmp_path / "config_changes.jsonl"
    changes.write_text("".join((INCIDENT / "config_changes.jsonl").read_text("utf-8").splitlines(True)[:2]), "utf-8")
    path = tmp_path / "open.duckdb"
    with Database(path) as db:
        ingest(db, transactions=[INCIDENT / "transactions.csv"], config_changes=[changes], tz="Asia/Shanghai")
        analyze(db)
    result = write(path, tmp_path / "out", formats=("csv", "md", "html", "timeline"))
    md = (tmp_path / "out" / "incident_report.md").read_text("utf-8")
    assert "still open in the data" in md
    assert "no user was flagged as an exploiter" in md
    assert "No alert was recorded" in md
    assert len(result.files) == 11
