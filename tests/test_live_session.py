"""A review session on one database: load one more export, try another bad change, re-run, look
again. Stale analyses are visible everywhere, named analyses sit side by side, parameters are
checked against the data, two writers never corrupt the file, money is never summed across
currencies."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from analyzer.db import Database
from analyzer.errors import ExitCode
from tests.conftest import ROOT, run_cli, two_currency_inputs

BAD, FIX = "CHG-20250116-0042", "CHG-20250116-0047"


@pytest.fixture
def partial_db(sample_dir, tmp_path):
    """The sample without its replay batch, analyzed: the replay is the 'one more export'."""
    db = tmp_path / "incident.duckdb"
    res = run_cli("ingest", "--db", db, "--transactions", sample_dir / "transactions.csv", "--config-changes",
                  sample_dir / "config_changes.jsonl", "--events", sample_dir / "events.csv", "--tz", "Asia/Shanghai")
    assert res.code == 0, res.stderr
    assert run_cli("analyze", "--db", db).code == 0
    return db


def summary(db, *args) -> dict:
    res = run_cli("summary", "--db", db, "--json", *args)
    assert res.code == 0, res.stderr
    return json.loads(res.stdout)


def test_one_more_export_makes_the_analysis_stale_everywhere(partial_db, sample_dir, tmp_path, truth):
    assert summary(partial_db)["stale"] is False
    assert run_cli("ingest", "--db", partial_db, "--transactions", sample_dir / "transactions_replay.jsonl",
                   "--tz", "Asia/Shanghai").code == 0
    s = summary(partial_db)
    assert s["stale"] is True  # the figures of the earlier analysis, said to be earlier
    res = run_cli("report", "--db", partial_db, "--out", tmp_path / "r")
    assert res.code == ExitCode.DATA_ERROR
    assert "older than the data" in res.stderr and "transactions_replay.jsonl" in res.stderr
    assert "--allow-stale" in res.stderr and not (tmp_path / "r").exists()
    ok = run_cli("report", "--db", partial_db, "--out", tmp_path / "r", "--format", "md", "--allow-stale")
    assert ok.code == 0, ok.stderr
    first_page = (tmp_path / "r" / "incident_report.md").read_text().split("## What happened")[0]
    assert "STALE" in first_page and "transactions_replay.jsonl" in first_page
    check = run_cli("check", "--db", partial_db)
    assert check.code == ExitCode.DATA_ERROR and "analysis_current" in check.stderr
    text = run_cli("summary", "--db", partial_db).stdout
    assert text.startswith("Incident on campaign CMP-NY-INSTANT") and "STALE" in text
    # analyze again: fresh, and the truth of the whole sample
    assert run_cli("analyze", "--db", partial_db).code == 0
    s = summary(partial_db)
    assert s["stale"] is False and s["excess_total"] == truth["excess_total"]
    assert run_cli("check", "--db", partial_db).code == 0


def test_named_analyses_side_by_side(sample_db, tmp_path, truth):
    db = tmp_path / "incident.duckdb"
    shutil.copyfile(sample_db, db)
    res = run_cli("analyze", "--db", db, "--label", "named-0047", "--bad-change", FIX)
    assert res.code == 0, res.stderr
    named = summary(db, "--label", "named-0047")
    assert named["analysis_label"] == "named-0047" and named["bad_change_id"] == FIX
    warnings = " ".join(named["warnings"])
    assert f"{FIX} is a rollback" in warnings
    assert f"you named {FIX}, which introduced no excess" in warnings and f"{BAD} introduced" in warnings
    assert summary(db)["bad_change_id"] == BAD  # the default analysis is untouched
    compared = run_cli("compare", "--db", db, "default", "named-0047", "--json")
    assert compared.code == 0, compared.stderr
    figures = json.loads(compared.stdout)["figures"]
    assert figures["bad_change_id"] == {"first": BAD, "second": FIX, "same": False}
    assert figures["excess_total"]["first"] == truth["excess_total"] and not figures["excess_total"]["same"]
    text = run_cli("compare", "--db", db, "default", "named-0047").stdout
    assert "users affected only in default:" in text and "figures differ" in text
    strict = run_cli("analyze", "--db", db, "--label", "strict", "--bad-change", FIX, "--strict")
    assert strict.code == ExitCode.DATA_ERROR and "is a rollback" in strict.stderr
    missing = run_cli("summary", "--db", db, "--label", "nope")
    assert missing.code == ExitCode.USAGE_ERROR and "default" in missing.stderr and "named-0047" in missing.stderr
    report = run_cli("report", "--db", db, "--label", "named-0047", "--out", tmp_path / "r", "--format", "md")
    assert report.code == 0, report.stderr
    md = (tmp_path / "r" / "incident_report.md").read_text()
    assert "analysis named-0047" in md and "is a rollback" in md


@pytest.mark.parametrize("args,needle", [
    (["--campaign", "cmp-ny-instant"], "did you mean CMP-NY-INSTANT?"),
    (["--campaign", "NOPE"], "campaigns: CMP-NY-INSTANT"),
    (["--bad-change", "CHG-20250116-042"], "did you mean CHG-20250116-0042?"),
    (["--bad-change", BAD, "--fix-change", "CHG-20250116-0039"], "must be a later change of campaign CMP-NY-INSTANT"),
    (["--label", "no spaces please"], "--label 'no spaces please'"),
])
def test_parameters_are_checked_against_the_data(sample_db, tmp_path, args, needle):
    db = tmp_path / "incident.duckdb"
    shutil.copyfile(sample_db, db)
    before = db.read_bytes()
    res = run_cli("analyze", "--db", db, *args)
    assert res.code == ExitCode.USAGE_ERROR, res.stderr
    assert needle in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert db.read_bytes() == before


def test_two_writers_at_once_never_corrupt_the_file(sample_db, tmp_path, truth):
    db = tmp_path / "incident.duckdb"
    shutil.copyfile(sample_db, db)
    procs = [subprocess.Popen([sys.executable, "-m", "analyzer", "analyze", "--db", str(db), "--label", f"run{n}"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(3)]
    results = []
    for p in procs:
        _out, err = p.communicate(timeout=300)
        results.append((p.returncode, err))
    codes = sorted(code for code, _ in results)
    assert set(codes) <= {0, ExitCode.UNAVAILABLE} and 0 in codes, results
    for code, err in results:
        if code == ExitCode.UNAVAILABLE:
            assert "another analyze (pid" in err and "is running on this database" in err
    assert run_cli("check", "--db", db).code == 0
    with Database(db, read_only=True) as con:
        analysed = {r[0] for r in con.rows("SELECT label FROM analyses")}
    assert analysed == {"default"} | {f"run{n}" for n, (code, _) in enumerate(results) if code == 0}


def test_money_is_never_summed_across_currencies(tmp_path):
    txns, changes = two_currency_inputs(tmp_path)
    db = tmp_path / "t.duckdb"
    assert run_cli("ingest", "--db", db, "--transactions", txns, "--config-changes", changes).code == 0
    res = run_cli("analyze", "--db", db)
    assert res.code == ExitCode.DATA_ERROR and "several currencies" in res.stderr and "--currency" in res.stderr
    for code, excess in (("CNY", "19.50"), ("USD", "29.00")):
        assert run_cli("analyze", "--db", db, "--currency", code).code == 0
        s = summary(db, "--label", code.lower())
        assert (s["currency"], s["excess_total"], s["affected_txns"]) == (code, excess, 1 if code == "CNY" else 2)
    assert "USD" in run_cli("summary", "--db", db, "--label", "usd").stdout
