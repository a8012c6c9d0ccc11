"""The reliability and security cases that once failed, one test each: money at any precision,
floating-point money, exact JSON numbers, formula injection in CSV, refund integrity, changes at
the same instant, Markdown in data, odd filter input, truncated and mistyped inputs, a year 9999,
a file that is not a database, a full disk, line numbers after a quoted line break, a NUL byte.
Each asserts the exit code, the message, and what the database holds afterwards."""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
import resource
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from analyzer.db import Database
from analyzer.errors import ExitCode
from analyzer.ingest import ingest
from tests.conftest import ROOT, run_cli

HEADER = "txn_id,ts,user_id,merchant_id,scene,amount,discount,paid,campaign_id,config_version,type,original_txn_id"
CHANGES = [
    {"change_id": "C1", "ts": "2025-01-16T01:00:00Z", "campaign_id": "CMP", "actor": "li.na", "approver": "lead",
     "action": "create", "version": "v1",
     "config": {"discount_type": "fixed", "discount_value": "0.50", "scenes": ["*"], "enabled": True}},
    {"change_id": "C2", "ts": "2025-01-16T06:40:00Z", "campaign_id": "CMP", "actor": "zhang.wei", "approver": None,
     "action": "update", "version": "v2",
     "config": {"discount_type": "percent", "discount_value": "20", "scenes": ["*"], "enabled": True}},
    {"change_id": "C3", "ts": "2025-01-16T06:45:00Z", "campaign_id": "CMP", "actor": "ops.li", "approver": "sre",
     "action": "rollback", "version": "v3",
     "config": {"discount_type": "fixed", "discount_value": "0.50", "scenes": ["*"], "enabled": True}},
]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def changes_file(tmp_path: Path, changes=CHANGES) -> Path:
    return write(tmp_path / "changes.jsonl", "\n".join(json.dumps(c) for c in changes) + "\n")


def csv_rows(tmp_path: Path, *rows: str, name: str = "tx.csv") -> Path:
    return write(tmp_path / name, HEADER + "\n" + "\n".join(rows) + "\n")


def rejects(db_path: Path) -> list[tuple]:
    with Database(db_path, read_only=True) as db:
        return db.rows("SELECT line, record_key, reason, field FROM rejects ORDER BY line")


# --- money at any precision --------------------------------------------------------------------
@pytest.mark.parametrize("text", ["100.0000001", "0.4999999", "12.345", "1.000000000000000000001", "1e2",
                                  "12,30", "NaN", "sNaN", "Infinity", "0x10", "--1"])
def test_money_with_any_digit_beyond_the_cent_is_rejected(tmp_path, text):
    f = csv_rows(tmp_path, f'T1,2025-01-16T06:41:00Z,U1,M1,shopping,"{text}",0.00,,,,payment,')
    with Database(tmp_path / "t.duckdb") as db:
        report = ingest(db, transactions=[f])
        assert db.scalar("SELECT count(*) FROM transactions") == 0
    assert report.files[0].loaded_nothing
    assert rejects(tmp_path / "t.duckdb") == [(2, "T1", "bad_money", "amount")]


@pytest.mark.parametrize("text,exact", [("12.30", "12.30"), ("12.3", "12.30"), ("12.300000000", "12.30"),
                                        ("0.1", "0.10"), (".5", "0.50"), ("+7", "7.00"),
                                        ("1234567890123456.78", "1234567890123456.78")])
def test_exact_money_is_kept_to_the_cent(tmp_path, text, exact):
    f = csv_rows(tmp_path, f"T1,2025-01-16T06:41:00Z,U1,M1,shopping,{text},0.00,,,,payment,")
    with Database(tmp_path / "t.duckdb") as db:
        ingest(db, transactions=[f])
        assert db.scalar("SELECT CAST(amount AS VARCHAR) FROM transactions") == exact


def test_json_numbers_are_read_from_their_text(tmp_path):
    lines = [
        '{"txn_id":"J1","ts":"2025-01-16T06:41:00Z","user_id":"U1","amount":12.30,"discount":0.1}',
        '{"txn_id":"J2","ts":"2025-01-16T06:41:01Z","user_id":"U1","amount":1234567890123456.78,"discount":0}',
        '{"txn_id":"J3","ts":"2025-01-16T06:41:02Z","user_id":"U1","amount":100.0000001,"discount":0}',
        '{"txn_id":"J4","ts":"2025-01-16T06:41:03Z","user_id":"U1","amount":0.30000000000000004,"discount":0}',
        # the key twice (nested): the text cannot be told apart, so never a guess
        '{"txn_id":"J5","ts":"2025-01-16T06:41:04Z","user_id":"U1","amount":5.25,"discount":0,"x":{"amount":1.5}}',
    ]
    f = write(tmp_path / "tx.jsonl", "\n".join(lines) + "\n")
    with Database(tmp_path / "t.duckdb") as db:
        ingest(db, transactions=[f])
        loaded = dict(db.rows("SELECT txn_id, CAST(amount AS VARCHAR) || '/' || CAST(discount AS VARCHAR) "
                              "FROM transactions"))
    assert loaded == {"J1": "12.30/0.10", "J2": "1234567890123456.78/0.00"}
    assert rejects(tmp_path / "t.duckdb") == [(3, "J3", "bad_money", "amount"), (4, "J4", "bad_money", "amount"),
                                             (5, "J5", "bad_money", "amount")]


def _parquet(tmp_path: Path, money_type: str, ts_type: str = "TIMESTAMPTZ") -> Path:
    path = tmp_path / f"tx-{money_type}.parquet"
    ts = {"TIMESTAMPTZ": "TIMESTAMPTZ '2025-01-16 06:41:00+00'", "BOOLEAN": "true"}[ts_type]
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT 'P' || i AS txn_id, {ts} AS ts, 'U1' AS user_id,
                                 CAST(0.1 AS {money_type}) + CAST(0.2 AS {money_type}) AS amount,
                                 CAST(0 AS {money_type}) AS discount
                          FROM range(3) t(i)) TO '{path}' (FORMAT parquet)""")
    con.close()
    return path


def test_floating_point_money_in_parquet_is_refused_unless_rounding_is_asked_for(tmp_path, cli):
    path = _parquet(tmp_path, "DOUBLE")
    res = cli("ingest", "--db", tmp_path / "t.duckdb", "--transactions", path)
    assert res.code == ExitCode.INPUT_ERROR
    assert "field 'amount'" in res.stderr and "floating-point" in res.stderr and "--float-money round" in res.stderr
    assert not (tmp_path / "t.duckdb").exists()  # the failed ingest left nothing behind
    ok = cli("ingest", "--db", tmp_path / "r.duckdb", "--transactions", path, "--float-money", "round")
    assert ok.code == 0, ok.stderr
    with Database(tmp_path / "r.duckdb", read_only=True) as db:
        assert db.rows("SELECT DISTINCT CAST(amount AS VARCHAR) FROM transactions") == [("0.30",)]
        assert db.scalar("SELECT float_money FROM load_manifest") == "rounded"


def test_a_parquet_instant_of_the_wrong_type_is_an_input_error(tmp_path, cli):
    res = cli("ingest", "--db", tmp_path / "t.duckdb", "--transactions", _parquet(tmp_path, "DECIMAL(18,2)",
                                                                                   ts_type="BOOLEAN"))
    assert res.code == ExitCode.INPUT_ERROR
    assert "field 'ts'" in res.stderr and "type BOOLEAN" in res.stderr and "Traceback" not in res.stderr


def test_decimal_parquet_money_with_more_places_is_checked_exactly(tmp_path):
    path = tmp_path / "tx.parquet"
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT * FROM (VALUES ('A', TIMESTAMPTZ '2025-01-16 06:41:00+00', 'U1',
                                                CAST('12.3400' AS DECIMAL(18,4)), CAST(0 AS DECIMAL(18,4))),
                                               ('B', TIMESTAMPTZ '2025-01-16 06:41:01+00', 'U1',
                                                CAST('12.3401' AS DECIMAL(18,4)), CAST(0 AS DECIMAL(18,4))))
                          t(txn_id, ts, user_id, amount, discount)) TO '{path}' (FORMAT parquet)""")
    with Database(tmp_path / "t.duckdb") as db:
        ingest(db, transactions=[path])
        assert db.rows("SELECT txn_id, CAST(amount AS VARCHAR) FROM transactions") == [("A", "12.34")]
    assert rejects(tmp_path / "t.duckdb") == [(2, "B", "bad_money", "amount")]


# --- formula injection ------------------------------------------------------------------------
def test_csv_exports_neutralise_formulas(tmp_path, cli):
    evil = ['=HYPERLINK(""http://evil.example"",""x"")', "@SUM(A1:A9)", "+1+1", "-2+3"]
    rows = [f'T{n},2025-01-16T06:4{n}:00Z,"{u}",M1,shopping,100.00,20.00,80.00,CMP,v2,payment,'
            for n, u in enumerate(evil, 1)]
    db = tmp_path / "t.duckdb"
    assert cli("ingest", "--db", db, "--transactions", csv_rows(tmp_path, *rows), "--config-changes",
               changes_file(tmp_path)).code == 0
    assert cli("analyze", "--db", db).code == 0
    assert cli("report", "--db", db, "--out", tmp_path / "r", "--format", "csv").code == 0
    assert cli("report", "--db", db, "--out", tmp_path / "raw", "--format", "csv", "--raw-csv").code == 0
    users = {r["user_id"] for r in csv.DictReader(io.StringIO((tmp_path / "r" / "affected_users.csv").read_text()))}
    assert users == {"'" + u.replace('""', '"') for u in evil}
    raw = {r["user_id"] for r in csv.DictReader(io.StringIO((tmp_path / "raw" / "affected_users.csv").read_text()))}
    assert raw == {u.replace('""', '"') for u in evil}
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["report_parameters"]["csv_formulas"].startswith("neutralised")
    # money is not text: a negative excess is never prefixed
    assert all(not r["excess_total"].startswith("'")
               for r in csv.DictReader(io.StringIO((tmp_path / "r" / "affected_users.csv").read_text())))


# --- refunds ----------------------------------------------------------------------------------
def test_refunds_beyond_what_was_paid_or_of_unknown_payments_are_disputed(tmp_path, cli):
    rows = ["T1,2025-01-16T06:41:00Z,U1,M1,shopping,100.00,20.00,80.00,CMP,v2,payment,",
            "T2,2025-01-16T06:42:00Z,U2,M1,shopping,50.00,10.00,40.00,CMP,v2,payment,",
            "R1,2025-01-16T10:00:00Z,U1,M1,shopping,60.00,0.00,,,,refund,T1",
            "R2,2025-01-16T10:05:00Z,U1,M1,shopping,60.00,0.00,,,,refund,T1",   # 120 > 80 paid
            "R3,2025-01-16T10:06:00Z,U9,M1,shopping,5.00,0.00,,,,refund,T404",  # no such payment
            "R4,2025-01-16T10:07:00Z,U2,M1,shopping,40.00,0.00,,,,refund,T2"]   # T2 fully refunded
    db = tmp_path / "t.duckdb"
    assert cli("ingest", "--db", db, "--transactions", csv_rows(tmp_path, *rows), "--config-changes",
               changes_file(tmp_path)).code == 0
    assert cli("analyze", "--db", db).code == 0
    with Database(db, read_only=True) as con:
        disputed = con.rows("SELECT record_key, reason FROM disputed ORDER BY record_key")
        refunds = dict(con.rows("SELECT txn_id, CAST(refunded_amount AS VARCHAR) || ' ' || fully_refunded "
                                "FROM affected_transactions"))
        net = con.scalar("SELECT CAST(net_excess_total AS VARCHAR) FROM incident_summary")
    assert disputed == [("R2", "refund_exceeds_paid"), ("R3", "refund_unknown_payment")]
    assert refunds == {"T1": "60.00 false", "T2": "40.00 true"}  # R2 never counted: T1 stays in
    assert net == "19.50"  # T1's excess 20.00 - 0.50 stays, T2's is out
    assert cli("check", "--db", db).code == 0
    # tampering: count the disputed refund anyway, and the invariant fails
    tampered = tmp_path / "tampered.duckdb"
    tampered.write_bytes(db.read_bytes())
    with Database(tampered) as con:
        con.execute("UPDATE affected_transactions SET refunded_amount = 120.00 WHERE txn_id = 'T1'").fetchall()
        con.execute("DELETE FROM disputed WHERE record_key = 'R3'").fetchall()
    res = cli("check", "--db", tampered)
    assert res.code == ExitCode.DATA_ERROR and "refund_integrity" in res.stderr
    assert "R3" in res.stdout and "counted although disputed" in res.stdout


def test_a_refund_before_its_payment_file_is_not_disputed(tmp_path):
    refund = csv_rows(tmp_path, "R1,2025-01-16T10:00:00Z,U1,M1,shopping,30.00,0.00,,,,refund,T1", name="refunds.csv")
    pay = csv_rows(tmp_path, "T1,2025-01-16T06:41:00Z,U1,M1,shopping,100.00,20.00,80.00,CMP,v2,payment,",
                   name="payments.csv")
    with Database(tmp_path / "t.duckdb") as db:
        ingest(db, transactions=[refund])
        assert db.rows("SELECT record_key, reason FROM disputed") == [("R1", "refund_unknown_payment")]
        ingest(db, transactions=[pay])  # the payment arrives: the dispute is judged again
        assert db.rows("SELECT record_key FROM disputed") == []


# --- config log integrity ---------------------------------------------------------------------
def test_two_changes_of_a_campaign_at_one_instant_stop_the_ingest(tmp_path, cli):
    clash = [*CHANGES, {**CHANGES[2], "change_id": "C4", "version": "v4"}]  # C3 and C4 at 06:45:00
    db = tmp_path / "t.duckdb"
    res = cli("ingest", "--db", db, "--config-changes", changes_file(tmp_path, clash))
    assert res.code == ExitCode.DATA_ERROR
    assert "C3 and C4" in res.stderr and "same instant" in res.stderr and "seq" in res.stderr
    assert ":3:" in res.stderr  # file and line of the first of the two
    assert not db.exists()  # nothing loaded: the generation was never switched in
    ordered = [*CHANGES[:2], {**CHANGES[2], "seq": 1}, {**CHANGES[2], "change_id": "C4", "version": "v4", "seq": 2}]
    assert cli("ingest", "--db", db, "--config-changes", changes_file(tmp_path, ordered)).code == 0
    with Database(db, read_only=True) as con:
        assert con.rows("SELECT change_id, seq FROM config_changes ORDER BY seq NULLS FIRST, change_id") == [
            ("C1", None), ("C2", None), ("C3", 1), ("C4", 2)]


# --- Markdown and odd input in the dashboard --------------------------------------------------
def test_markdown_in_data_is_shown_as_text(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    phish = "[click me](http://evil.example/phish)"
    changes = [CHANGES[0], {**CHANGES[1], "actor": phish, "approver": "**bold** <b>x</b>"}, CHANGES[2]]
    db = tmp_path / "t.duckdb"
    tx = csv_rows(tmp_path, "T1,2025-01-16T06:41:00Z,U1,M1,shopping,100.00,20.00,80.00,CMP,v2,payment,")
    assert run_cli("ingest", "--db", db, "--transactions", tx, "--config-changes",
                   changes_file(tmp_path, changes)).code == 0
    assert run_cli("analyze", "--db", db).code == 0
    monkeypatch.setenv("ANALYZER_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboards" / "app.py"), default_timeout=60)
    at.run()
    for page in ("views/overview.py", "views/config_changes.py"):
        at.switch_page(page).run()
        assert not at.exception
        sources = [m.value for m in at.markdown] + [c.value for c in at.caption]
        assert not any(phish in text or "**bold**" in text for text in sources), page
        assert any(r"\[click me\]\(http\:\/\/evil\.example\/phish\)" in text for text in sources), page
    report = tmp_path / "r"
    assert run_cli("report", "--db", db, "--out", report, "--format", "md,html").code == 0
    md = (report / "incident_report.md").read_text()
    assert phish not in md and r"\[click me\](http:\/\/evil.example/phish)" in md
    html = (report / "incident_report.html").read_text()
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


@pytest.mark.parametrize("text", ["sNaN", "NaN", "Infinity", "1e309", "12.345", "abc"])
def test_an_odd_minimum_excess_is_a_warning_not_a_traceback(sample_db, monkeypatch, text):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("ANALYZER_DB", str(sample_db))
    at = AppTest.from_file(str(ROOT / "dashboards" / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("views/affected_users.py").run()
    at.text_input(key="users_min_excess").set_value(text).run()
    assert not at.exception
    assert any("is not an amount like 100.00" in w.value for w in at.warning)


# --- inputs that once made an internal error ---------------------------------------------------
def test_a_truncated_gzip_is_an_input_error(tmp_path, cli, sample_dir):
    whole = gzip.compress((sample_dir / "transactions.csv").read_bytes())
    cut = tmp_path / "tx.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    res = cli("ingest", "--db", tmp_path / "t.duckdb", "--transactions", cut, "--tz", "Asia/Shanghai")
    assert res.code == ExitCode.INPUT_ERROR, res.stderr
    assert "tx.csv.gz" in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "t.duckdb").exists()


def test_a_year_9999_is_a_rejected_timestamp_and_the_report_works(tmp_path, cli):
    rows = ["T1,2025-01-16T06:41:00Z,U1,M1,shopping,100.00,20.00,80.00,CMP,v2,payment,",
            "T2,9999-12-31T23:59:59Z,U1,M1,shopping,100.00,20.00,80.00,CMP,v2,payment,",
            "T3,1066-10-14T09:00:00Z,U1,M1,shopping,100.00,20.00,80.00,CMP,v2,payment,"]
    db = tmp_path / "t.duckdb"
    assert cli("ingest", "--db", db, "--transactions", csv_rows(tmp_path, *rows), "--config-changes",
               changes_file(tmp_path)).code == 0
    assert rejects(db) == [(3, "T2", "bad_timestamp", "ts"), (4, "T3", "bad_timestamp", "ts")]
    assert cli("analyze", "--db", db).code == 0
    res = cli("report", "--db", db, "--out", tmp_path / "r")
    assert res.code == 0, res.stderr


@pytest.mark.parametrize("command", ["summary", "check", "report", "analyze"])
def test_a_file_that_is_not_a_database(tmp_path, cli, command):
    junk = write(tmp_path / "notes.duckdb", "these are my notes, not a database\n")
    args = ["--out", str(tmp_path / "r")] if command == "report" else []
    res = cli(command, "--db", junk, *args)
    assert res.code == ExitCode.INPUT_ERROR, res.stderr
    assert "notes.duckdb" in res.stderr and "not" in res.stderr and "Traceback" not in res.stderr
    assert junk.read_text() == "these are my notes, not a database\n"


@contextlib.contextmanager
def small_disk(tmp_path: Path, size: str = "4m"):
    """A real full disk: a small tmpfs (as root); else the process may write no more than that
    much (RLIMIT_FSIZE), which fails writes the same way."""
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
                             capture_output=True).returncode == 0
    try:
        yield mount, mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_full_disk_is_a_clear_error_and_the_database_is_unchanged(tmp_path, sample_dir):
    with small_disk(tmp_path) as (disk, mounted):
        db = disk / "t.duckdb"
        small = csv_rows(tmp_path, "T1,2025-01-16T06:41:00Z,U1,M1,shopping,100.00,20.00,80.00,CMP,v2,payment,",
                         name="small.csv")
        assert run_cli("ingest", "--db", db, "--transactions", small).code == 0
        before = db.read_bytes()
        args = [sys.executable, "-m", "analyzer", "ingest", "--db", str(db), "--transactions",
                str(sample_dir / "transactions.csv"), "--tz", "Asia/Shanghai"]

        def limit():  # without a tmpfs: no file beyond 4 MiB, a write past it fails with EFBIG
            import signal

            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (4 << 20, 4 << 20))

        proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300,
                              preexec_fn=None if mounted else limit)
        assert proc.returncode == ExitCode.UNAVAILABLE, proc.stderr
        assert "no space left" in proc.stderr and "the database is unchanged" in proc.stderr
        assert "Traceback" not in proc.stderr
        assert db.read_bytes() == before  # not grown, not touched
        assert sorted(p.name for p in disk.iterdir()) == ["t.duckdb", "t.duckdb.lock"]


# --- line numbers and text ---------------------------------------------------------------------
def test_lines_after_a_quoted_line_break_are_the_files_own(tmp_path):
    text = (HEADER + "\n"
            'T1,2025-01-16T06:41:00Z,U1,M1,"shop\nping",100.00,20.00,80.00,CMP,v2,payment,\n'
            "\n"
            "T2,2025-01-16T06:41:01Z,U1,M1,shopping,1.234,0.00,,,,payment,\n"
            "T3,2025-01-16T06:41:02Z,U1,M1,shopping,10.00,0.00,,,,payment,,extra\n"
            "T4,2025-01-16T06:41:03Z,U1,M1,shopping,-1.00,0.00,,,,payment,\n")
    f = write(tmp_path / "tx.csv", text)
    with Database(tmp_path / "t.duckdb") as db:
        report = ingest(db, transactions=[f])
        assert db.rows("SELECT txn_id, line FROM transactions") == [("T1", 2)]
        m = db.dicts("SELECT rows_read, rows_loaded, rows_rejected, rows_skipped FROM load_manifest")[0]
    assert rejects(tmp_path / "t.duckdb") == [(5, "T2", "bad_money", "amount"), (6, None, "malformed_row", None),
                                             (7, "T4", "negative_amount", "amount")]
    assert m == {"rows_read": 4, "rows_loaded": 1, "rows_rejected": 3, "rows_skipped": 1}  # the blank line
    assert report.files[0].reconciles


def test_a_nul_byte_in_an_id_is_rejected(tmp_path):
    f = csv_rows(tmp_path, "T1\x00,2025-01-16T06:41:00Z,U1,M1,shopping,10.00,0.00,,,,payment,",
                 "T2,2025-01-16T06:41:00Z,U\x072,M1,shopping,10.00,0.00,,,,payment,",
                 "T3,2025-01-16T06:41:00Z,U3,M1,shopping,10.00,0.00,,,,payment,")
    with Database(tmp_path / "t.duckdb") as db:
        ingest(db, transactions=[f])
        assert db.rows("SELECT txn_id FROM transactions") == [("T3",)]
    assert [(r[0], r[2], r[3]) for r in rejects(tmp_path / "t.duckdb")] == [(2, "bad_text", "txn_id"),
                                                                           (3, "bad_text", "user_id")]


def test_nothing_loaded_is_never_exit_0(tmp_path, cli):
    f = csv_rows(tmp_path, "T1,2025-01-16T06:41:00Z,U1,M1,shopping,1.001,0.00,,,,payment,",
                 "T2,not a time,U1,M1,shopping,1.00,0.00,,,,payment,")
    db = tmp_path / "t.duckdb"
    res = cli("ingest", "--db", db, "--transactions", f)
    assert res.code == ExitCode.DATA_ERROR
    assert "nothing loaded" in res.stderr and "bad_money (1)" in res.stderr and "bad_timestamp (1)" in res.stderr
    assert "first rejected row" in res.stderr
    assert rejects(db) == [(2, "T1", "bad_money", "amount"), (3, "T2", "bad_timestamp", "ts")]  # still inspectable


def test_decimal_money_stays_decimal(tmp_path):
    f = csv_rows(tmp_path, "T1,2025-01-16T06:41:00Z,U1,M1,shopping,19.99,0.01,19.98,,,payment,")
    with Database(tmp_path / "t.duckdb") as db:
        ingest(db, transactions=[f])
        assert db.one("SELECT amount, discount, paid FROM transactions") == (
            Decimal("19.99"), Decimal("0.01"), Decimal("19.98"))
        assert {t for (t,) in db.rows("SELECT DISTINCT data_type FROM duckdb_columns() WHERE table_name = "
                                      "'transactions' AND column_name IN ('amount', 'discount', 'paid')")} == {
            "DECIMAL(18,2)"}
    assert os.path.exists(tmp_path / "t.duckdb")


def test_a_config_without_scenes_applies_to_every_scene(tmp_path):
    changes = [{**c, "config": {k: v for k, v in c["config"].items() if k != "scenes"}} for c in CHANGES]
    with Database(tmp_path / "t.duckdb") as db:
        ingest(db, config_changes=[changes_file(tmp_path, changes)])
        assert db.rows("SELECT DISTINCT scenes FROM config_changes") == [(["*"],)]
