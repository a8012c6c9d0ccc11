"""Ingest: every row loaded, collapsed or quarantined with its reason; atomic and idempotent."""

from __future__ import annotations

import gzip
import json
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from analyzer.db import Database
from analyzer.errors import ExitCode, InputError
from analyzer.ingest import ingest
from tests.conftest import FIXTURES

BAD = FIXTURES / "bad_rows.csv"

EXPECTED_REJECTS = [  # (line, txn_id, reason, field)
    (4, "T3", "missing_field", "user_id"),
    (5, "T4", "missing_field", "amount"),
    (6, "T5", "bad_timestamp", "ts"),
    (7, "T6", "bad_money", "amount"),
    (8, "T7", "bad_money", "amount"),
    (9, "T8", "negative_amount", "amount"),
    (10, "T9", "discount_out_of_range", "discount"),
    (11, "T10", "paid_mismatch", "paid"),
    (12, "T11", "bad_type", "type"),
    (13, "R12", "refund_without_original", "original_txn_id"),
    (14, None, "malformed_row", None),
    (17, "T15", "conflicting_duplicate", "txn_id"),
    (18, "T15", "conflicting_duplicate", "txn_id"),
]


def manifest(db: Database) -> list[dict]:
    return db.dicts("SELECT * FROM load_manifest ORDER BY file_id")


def test_every_bad_row_lands_in_rejects_with_its_reason(tmp_path):
    with Database(tmp_path / "t.duckdb") as db:
        report = ingest(db, transactions=[BAD])
        rejects = db.rows("SELECT line, record_key, reason, field FROM rejects ORDER BY line")
        loaded = db.rows("SELECT txn_id, line FROM transactions ORDER BY line")
        (m,) = manifest(db)
    assert rejects == EXPECTED_REJECTS
    assert loaded == [("T1", 2), ("T2", 3), ("T14", 15), ("R16", 19)]
    assert (m["rows_read"], m["rows_loaded"], m["rows_duplicate"], m["rows_rejected"]) == (18, 4, 1, 13)
    assert m["rows_read"] == m["rows_loaded"] + m["rows_duplicate"] + m["rows_rejected"]
    assert report.files[0].rejects_by_reason["bad_money"] == 2
    assert m["sha256"] and m["size_bytes"] == BAD.stat().st_size and m["format"] == "canonical-csv"


def test_money_and_instants_are_exact(tmp_path):
    with Database(tmp_path / "t.duckdb") as db:
        ingest(db, transactions=[BAD])
        t1 = db.one("SELECT amount, discount, paid, strftime(ts, '%Y-%m-%dT%H:%M:%S.%g'), typeof(amount), typeof(ts) "
                    "FROM transactions WHERE txn_id = 'T1'")
        r16 = db.scalar("SELECT strftime(ts, '%H:%M:%S') FROM transactions WHERE txn_id = 'R16'")
    assert t1[:3] == (Decimal("100.00"), Decimal("20.00"), Decimal("80.00"))
    assert t1[3] == "2025-01-16T06:40:01.250"  # +08:00 -> UTC, milliseconds kept
    assert t1[4:] == ("DECIMAL(18,2)", "TIMESTAMP WITH TIME ZONE")
    assert r16 == "21:00:00"  # Z kept as given


def test_reingest_same_file_is_a_noop(tmp_path, cli):
    db_path = tmp_path / "t.duckdb"
    first = cli("ingest", "--db", db_path, "--transactions", BAD)
    assert first.code == 0, first.stderr
    with Database(db_path, read_only=True) as db:
        before = (db.rows("SELECT * FROM transactions ORDER BY txn_id"), db.scalar("SELECT count(*) FROM rejects"))
    again = cli("ingest", "--db", db_path, "--transactions", BAD)
    assert again.code == 0
    assert "already ingested" in again.stdout
    with Database(db_path, read_only=True) as db:
        after = (db.rows("SELECT * FROM transactions ORDER BY txn_id"), db.scalar("SELECT count(*) FROM rejects"))
        assert db.scalar("SELECT count(*) FROM load_manifest") == 1
    assert before == after


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


HEADER = "txn_id,ts,user_id,merchant_id,scene,amount,discount,paid,campaign_id,config_version,type,original_txn_id"


def test_duplicates_and_conflicts_across_files(tmp_path):
    a = _write(tmp_path / "a.csv", HEADER, [
        "A1,2025-01-16T14:40:00+08:00,U1,M1,shopping,10.00,0.50,9.50,C,v1,payment,",
        "A2,2025-01-16T14:40:01+08:00,U2,M1,shopping,20.00,0.50,19.50,C,v1,payment,",
    ])
    b = tmp_path / "b.jsonl"
    b.write_text("\n".join(json.dumps(r) for r in [
        # the same payment again, written differently (Z instead of +08:00, number not string)
        {"txn_id": "A1", "ts": "2025-01-16T06:40:00Z", "user_id": "U1", "merchant_id": "M1", "scene": "shopping",
         "amount": 10.0, "discount": "0.50", "paid": "9.50", "campaign_id": "C", "config_version": "v1"},
        # a conflict with a loaded row
        {"txn_id": "A2", "ts": "2025-01-16T06:40:01Z", "user_id": "U2", "merchant_id": "M1", "scene": "shopping",
         "amount": "25.00", "discount": "0.50", "paid": "24.50", "campaign_id": "C", "config_version": "v1"},
        {"txn_id": "B1", "ts": "2025-01-16T06:41:00Z", "user_id": "U3", "amount": "5", "discount": "0"},
    ]) + "\n{not json\n", encoding="utf-8")
    with Database(tmp_path / "t.duckdb") as db:
        report = ingest(db, transactions=[a, b])
        assert [(f.rows_read, f.rows_loaded, f.rows_duplicate, f.rows_rejected) for f in report.files] == [
            (2, 2, 0, 0), (4, 1, 1, 2)]
        assert db.rows("SELECT txn_id, amount FROM transactions ORDER BY txn_id") == [
            ("A1", Decimal("10.00")), ("A2", Decimal("20.00")), ("B1", Decimal("5.00"))]
        assert db.rows("SELECT record_key, reason, line FROM rejects ORDER BY line") == [
            ("A2", "conflicting_duplicate", 2), (None, "malformed_row", 4)]
        assert db.rows("SELECT kind, record_key, file_id, line, conflicting_line FROM disputed") == [
            ("transactions", "A2", 1, 3, 2)]


def test_naive_timestamps_need_tz(tmp_path, cli):
    f = _write(tmp_path / "naive.csv", HEADER, ["N1,2025-01-16 14:40:00,U1,M1,shopping,10.00,0.50,9.50,C,v1,payment,"])
    res = cli("ingest", "--db", tmp_path / "t.duckdb", "--transactions", f)
    assert res.code == ExitCode.INPUT_ERROR
    assert "naive.csv:2 field 'ts'" in res.stderr and "--tz" in res.stderr
    assert "Traceback" not in res.stderr
    ok = cli("ingest", "--db", tmp_path / "t.duckdb", "--transactions", f, "--tz", "Asia/Shanghai")
    assert ok.code == 0, ok.stderr
    with Database(tmp_path / "t.duckdb", read_only=True) as db:
        assert db.scalar("SELECT strftime(ts, '%Y-%m-%d %H:%M') FROM transactions") == "2025-01-16 06:40"
        assert db.scalar("SELECT tz FROM load_manifest") == "Asia/Shanghai"


def test_gbk_input_with_encoding(tmp_path, cli):
    text = HEADER + "\nG1,2025-01-16T14:40:00+08:00,用户一,商户甲,shopping,10.00,0.50,9.50,C,v1,payment,\n"
    f = tmp_path / "gbk.csv"
    f.write_bytes(text.encode("gbk"))
    bad = cli("ingest", "--db", tmp_path / "x.duckdb", "--transactions", f, "--encoding", "utf-8")
    assert bad.code == ExitCode.INPUT_ERROR
    assert "--encoding" in bad.stderr and "gbk.csv" in bad.stderr
    for db_name, args in (("t.duckdb", ["--encoding", "gbk"]), ("detected.duckdb", [])):  # named, or detected
        ok = cli("ingest", "--db", tmp_path / db_name, "--transactions", f, *args)
        assert ok.code == 0, ok.stderr
        with Database(tmp_path / db_name, read_only=True) as db:
            assert db.one("SELECT user_id, merchant_id FROM transactions") == ("用户一", "商户甲")
            assert db.scalar("SELECT encoding FROM load_manifest") == ("gbk" if args else "gb18030")


def test_mapping_renames_columns(tmp_path):
    f = _write(tmp_path / "export.csv", "order_no,pay_time,payer,amt,disc",
               ["O1,2025-01-16T14:40:00+08:00,U9,30.00,6.00"])
    mapping = tmp_path / "map.toml"
    mapping.write_text('[transactions]\ntxn_id = "order_no"\nts = "pay_time"\nuser_id = "payer"\n'
                       'amount = "amt"\ndiscount = "disc"\n', encoding="utf-8")
    with Database(tmp_path / "t.duckdb") as db:
        ingest(db, transactions=[f], mapping=mapping)
        assert db.one("SELECT txn_id, user_id, amount, discount, type FROM transactions") == (
            "O1", "U9", Decimal("30.00"), Decimal("6.00"), "payment")


def test_formats_give_the_same_rows(tmp_path):
    """CSV, CSV.gz, JSONL and Parquet of the same rows load identically."""
    csv_path = tmp_path / "t.csv"
    shutil.copy(BAD, csv_path)
    gz = tmp_path / "t.csv.gz"
    gz.write_bytes(gzip.compress(BAD.read_bytes()))
    con = duckdb.connect()
    good = con.sql(f"SELECT * FROM read_csv('{BAD}', all_varchar=true, ignore_errors=true) WHERE txn_id IN ('T1','T2','T14','R16')")
    pq = tmp_path / "t.parquet"
    good.write_parquet(str(pq))
    jl = tmp_path / "t.jsonl"
    rows = good.fetchall()
    cols = [d[0] for d in good.description]
    jl.write_text("\n".join(json.dumps(dict(zip(cols, r))) for r in rows) + "\n", encoding="utf-8")

    def loaded(path):
        with Database(tmp_path / (path.name + ".duckdb")) as db:
            ingest(db, transactions=[path])
            return db.rows("SELECT * EXCLUDE (file_id, line) FROM transactions ORDER BY txn_id")

    reference = loaded(csv_path)
    assert len(reference) == 4
    for other in (gz, pq, jl):
        assert loaded(other) == reference, other.name


def test_config_changes_csv_with_json_column(tmp_path):
    f = tmp_path / "changes.csv"
    f.write_text(
        'change_id,ts,campaign_id,actor,approver,ticket,action,version,config\n'
        'C1,2025-01-16T06:40:00Z,CMP,zhang,,MKT-1,update,v7,"{""discount_type"": ""percent"", ""discount_value"": 20, '
        '""max_discount"": null, ""scenes"": [""*""]}"\n'
        'C2,2025-01-16T06:45:00Z,CMP,li,wang,INC-1,rollback,v8,"{""discount_type"": ""fixed"", ""discount_value"": ""0.50"", '
        '""min_amount"": ""5.00"", ""scenes"": [""shopping"", ""food_delivery""]}"\n'
        'C3,2025-01-16T06:46:00Z,CMP,li,wang,INC-1,update,v9,"{""discount_type"": ""bogus""}"\n',
        encoding="utf-8")
    with Database(tmp_path / "t.duckdb") as db:
        ingest(db, config_changes=[f])
        rows = db.rows("SELECT change_id, discount_type, discount_value, max_discount, min_amount, scenes, enabled "
                       "FROM config_changes ORDER BY ts")
        rejected = db.rows("SELECT record_key, reason, field FROM rejects")
    assert rows == [
        ("C1", "percent", Decimal("20.0000"), None, None, ["*"], True),
        ("C2", "fixed", Decimal("0.5000"), None, Decimal("5.00"), ["shopping", "food_delivery"], True),
    ]
    assert rejected == [("C3", "bad_config", "config")]


@pytest.mark.parametrize("args,code,needle", [
    (["--transactions", "nope.csv"], ExitCode.INPUT_ERROR, "nope.csv: file not found"),
    (["--transactions", "{tmp}/bad_rows.txt"], ExitCode.INPUT_ERROR, "missing required column 'txn_id'"),
    (["--transactions", "{tmp}/junk.bin"], ExitCode.INPUT_ERROR, "a binary file, not CSV, JSON or Parquet"),
    ([], ExitCode.USAGE_ERROR, "nothing to ingest"),
    (["--transactions", "tests/fixtures/bad_rows.csv", "--tz", "Mars/Base"], ExitCode.USAGE_ERROR, "Mars/Base"),
])
def test_input_errors_have_one_clear_line(tmp_path, cli, args, code, needle):
    (tmp_path / "bad_rows.txt").write_text("x", encoding="utf-8")
    (tmp_path / "junk.bin").write_bytes(bytes(range(256)) * 4)
    res = cli("ingest", "--db", tmp_path / "t.duckdb", *(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert res.code == code
    assert needle in res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_missing_required_column_is_named(tmp_path, cli):
    f = _write(tmp_path / "nouser.csv", "txn_id,ts,amount,discount", ["X,2025-01-16T06:40:00Z,1.00,0.00"])
    res = cli("ingest", "--db", tmp_path / "t.duckdb", "--transactions", f)
    assert res.code == ExitCode.INPUT_ERROR
    assert "missing required column 'user_id'" in res.stderr


def test_failure_mid_file_leaves_previous_state(tmp_path):
    """A file that fails after its rows were staged changes nothing (same transaction)."""
    good = _write(tmp_path / "good.csv", HEADER, ["G1,2025-01-16T06:40:00Z,U1,M1,shopping,1.00,0.00,1.00,,,payment,"])
    naive = _write(tmp_path / "late.csv", HEADER, [
        "L1,2025-01-16T06:41:00Z,U1,M1,shopping,1.00,0.00,1.00,,,payment,",
        "L2,2025-01-16 14:41:00,U1,M1,shopping,1.00,0.00,1.00,,,payment,"])
    with Database(tmp_path / "t.duckdb") as db:
        ingest(db, transactions=[good])
        with pytest.raises(InputError):
            ingest(db, transactions=[naive])
        assert db.rows("SELECT txn_id FROM transactions") == [("G1",)]
        assert db.scalar("SELECT count(*) FROM load_manifest") == 1
        assert db.scalar("SELECT count(*) FROM rejects") == 0


@pytest.mark.slow
def test_kill_during_ingest_leaves_previous_state(tmp_path, cli):
    """SIGKILL while a large file loads: the database reopens with exactly the earlier files."""
    import os
    import signal
    import subprocess
    import sys
    import time

    db_path = tmp_path / "t.duckdb"
    good = _write(tmp_path / "good.csv", HEADER, ["G1,2025-01-16T06:40:00Z,U1,M1,shopping,1.00,0.00,1.00,,,payment,"])
    assert cli("ingest", "--db", db_path, "--transactions", good).code == 0
    big = tmp_path / "big.csv"
    duckdb.connect().execute(f"""
        COPY (SELECT 'K' || i AS txn_id, TIMESTAMPTZ '2025-01-16 06:00:00+00' + to_milliseconds(i) AS ts,
                     'U' || (i % 1000) AS user_id, 'M1' AS merchant_id, 'shopping' AS scene,
                     CAST((i % 5000) / 100 + 1 AS DECIMAL(18,2)) AS amount, 0.00 AS discount,
                     NULL AS paid, NULL AS campaign_id, NULL AS config_version, 'payment' AS type,
                     NULL AS original_txn_id
              FROM range(3000000) t(i)) TO '{big}' (HEADER)""")
    proc = subprocess.Popen([sys.executable, "-m", "analyzer", "ingest", "--db", str(db_path), "--transactions", str(big)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(1.5)
    assert proc.poll() is None, "ingest finished before it could be killed; make the file larger"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    with Database(db_path, read_only=True) as db:
        assert db.rows("SELECT txn_id FROM transactions") == [("G1",)]
        assert db.rows("SELECT path FROM load_manifest") == [(str(good.resolve()),)]
    # and the same file then loads cleanly
    res = cli("ingest", "--db", db_path, "--transactions", big)
    assert res.code == 0, res.stderr
    with Database(db_path, read_only=True) as db:
        assert db.scalar("SELECT count(*) FROM transactions") == 3_000_001
