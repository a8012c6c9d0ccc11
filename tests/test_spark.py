"""analyze --engine spark gives the DuckDB answer, to the cent and the microsecond: on the sample
incident and on a hand-made scenario (pricing lag, a partial fix that is still wrong,
duplicates, a refund), the summary (every computed key), the inferred bad and fix change, and
every table Spark computes (config_versions, change_impact, priced_exceptions, payment_refunds,
the affected sets, minute_metrics, second_metrics, milestones, scam_reports, timeline,
incident_summary) row for row, in the stored order, with the same column types.
One local[2] Spark session for the test session (conftest.spark)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from analyzer.analysis.pipeline import analyze
from analyzer.analysis.summary import load_summary
from analyzer.db import Database
from analyzer.engine import SparkEngine, payments_engine, spark_dir
from analyzer.errors import ExitCode
from analyzer.ingest import ingest
from tests.conftest import ingest_sample, two_currency_inputs
from tests.test_engine import CHANGES, PAYMENTS

pytestmark = [pytest.mark.spark, pytest.mark.slow]

# keys that are about the run, not the incident
RUN_KEYS = {"analyzed_at"}
# the tables Spark computes and DuckDB copies in (every statement of the analysis but
# user_pseudonyms), compared as stored: every row, in the stored order (each statement's ORDER
# BY), with the column types; the columns about the run left out
SPARK_TABLES = {"config_versions": "ORDER BY campaign_id, version_seq", "change_impact": "", "payment_refunds": "",
                "affected_transactions": "", "unexplained_payments": "", "affected_users": "",
                "affected_merchants": "", "affected_scenes": "", "minute_metrics": "", "second_metrics": "",
                "milestones": "", "scam_reports": "", "timeline": "", "incident_summary": ""}
RUN_COLUMNS = {"incident_summary": ("analyzed_at",)}


def spark_analyze(db_path: Path, spark, **kwargs) -> None:
    with Database(db_path) as db, payments_engine(db, "spark", **kwargs) as payments:
        assert isinstance(payments, SparkEngine) and payments.spark is spark  # the one session
        analyze(db, payments=payments)


def tables(db_path: Path) -> dict:
    with Database(db_path, read_only=True) as db:
        summary = {k: v for k, v in load_summary(db).items() if k not in RUN_KEYS}
        return {
            "summary": json.loads(json.dumps(summary, default=str)),
            "users": db.rows("SELECT * FROM affected_users ORDER BY user_id"),
            "txns": db.rows("SELECT * FROM affected_transactions ORDER BY txn_id"),
            "priced": db.scalar("SELECT count(*) FROM priced_transactions"),
            "exceptions": db.rows("SELECT * FROM priced_exceptions ORDER BY txn_id"),
            "priced_digest": db.scalar("SELECT sum(hash(txn_id, expected, excess, explained_by, intended_version, lagged)) "
                                       "FROM priced_transactions"),
            "impact": db.rows("SELECT change_id, rank, excess_introduced, payments_over FROM change_impact ORDER BY rank"),
            # the pseudonyms are keyed per database (privacy_key): the ids they stand for here
            "pseudonymised": db.rows("SELECT user_id FROM user_pseudonyms ORDER BY user_id"),
            **{name: (db.rows("SELECT column_name, data_type FROM information_schema.columns "
                              "WHERE table_name = ? AND column_name NOT IN (SELECT unnest(?)) ORDER BY ordinal_position",
                              [name, list(RUN_COLUMNS.get(name, ()))]),
                      db.rows(f"SELECT * EXCLUDE ({', '.join(RUN_COLUMNS.get(name, ('_none',)))}) FROM {name} {order}"
                              if name in RUN_COLUMNS else f"SELECT * FROM {name} {order}"))
               for name, order in SPARK_TABLES.items()},
        }


def assert_same(duck: dict, spark: dict) -> None:
    assert spark["summary"].keys() == duck["summary"].keys()
    differ = {k: (duck["summary"][k], spark["summary"][k]) for k in duck["summary"]
              if duck["summary"][k] != spark["summary"][k]}
    assert differ == {}
    assert spark["users"] == duck["users"]
    assert spark["txns"] == duck["txns"]
    assert spark["priced"] == duck["priced"]
    assert spark["exceptions"] == duck["exceptions"]          # what Spark priced, row for row
    assert spark["priced_digest"] == duck["priced_digest"]    # and the whole view over it
    assert spark["impact"] == duck["impact"]
    assert spark["pseudonymised"] == duck["pseudonymised"]
    for name in SPARK_TABLES:
        columns, rows = duck[name]
        assert spark[name][0] == columns, name            # DECIMAL(18,2), TIMESTAMP WITH TIME ZONE, ...
        assert spark[name][1] == rows, name               # to the cent and the microsecond, in order


@pytest.fixture(scope="module")
def spark_sample(sample_dir, tmp_path_factory, spark) -> Path:
    path = tmp_path_factory.mktemp("spark") / "incident.duckdb"
    ingest_sample(path, sample_dir)
    spark_analyze(path, spark)
    return path


def test_sample_same_answer_as_duckdb(sample_db, spark_sample, truth):
    duck, on_spark = tables(sample_db), tables(spark_sample)
    assert_same(duck, on_spark)
    # and both are the truth of the generator
    assert on_spark["summary"]["bad_change_id"] == truth["bad_change_id"]
    assert on_spark["summary"]["excess_total"] == truth["excess_total"]
    assert on_spark["summary"]["affected_txns"] == truth["affected_txns"]
    # not an empty comparison: every table Spark computed has rows, the exploiters their reasons
    assert all(on_spark[name][1] for name in SPARK_TABLES if name != "unexplained_payments")
    reasons = [r[-1] for r in on_spark["affected_users"][1] if r[-1] is not None]
    assert reasons and all(re.search(r" payments in \d\d:\d\d:\d\d, excess -?\d+\.\d\d$", r) for r in reasons)
    minute_excess = sum(r[-1] for r in on_spark["minute_metrics"][1])
    assert f"{minute_excess:.2f}" == truth["excess_total"]


def test_commands_work_unchanged_on_a_spark_analysis(sample_db, spark_sample, cli):
    on_spark = cli("summary", "--db", spark_sample, "--json")
    duck = cli("summary", "--db", sample_db, "--json")
    assert on_spark.code == 0 and duck.code == 0
    drop = lambda text: {k: v for k, v in json.loads(text).items() if k not in RUN_KEYS}  # noqa: E731
    assert drop(on_spark.stdout) == drop(duck.stdout)
    check = cli("check", "--db", spark_sample)
    assert check.code == 0, check.stdout + check.stderr


def test_spark_results_live_in_the_database(spark_sample):
    """Spark's results copied into the file: the notable payments stored (priced_exceptions), the
    per-payment view over them and the transactions as on DuckDB; no Parquet of results left beside it."""
    with Database(spark_sample, read_only=True) as db:
        kinds = dict(db.rows("SELECT table_name, table_type FROM information_schema.tables "
                             "WHERE table_name IN ('priced_transactions', 'priced_exceptions', 'priced_ordinary', "
                             "'affected_transactions')"))
        payments = db.scalar("SELECT count(*) FROM transactions WHERE type = 'payment' AND campaign_id = "
                             "(SELECT campaign_id FROM incident_summary)")
        priced = db.scalar("SELECT count(*) FROM priced_transactions")
        stored = db.scalar("SELECT count(*) FROM priced_exceptions")
    assert kinds == {"priced_transactions": "VIEW", "priced_ordinary": "VIEW", "priced_exceptions": "BASE TABLE",
                     "affected_transactions": "BASE TABLE"}
    assert priced == payments and 0 < stored < payments
    # the scratch tables of the run are removed (only the exported payments stay, for the next run)
    assert not [p for p in spark_dir(str(spark_sample)).glob("*/*") if p.is_dir()]


def scenario_db(tmp_path: Path) -> Path:
    """test_engine's edge case (lag after a change, a partial fix still wrong, a lag tail after
    the rollback) with a refund, two disputed refunds and duplicated rows, ingested from CSV."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    changes = tmp_path / "changes.jsonl"
    changes.write_text("\n".join(json.dumps(dict(zip(
        ("change_id", "ts", "campaign_id", "actor", "approver", "ticket", "action", "version", "config"), c)))
        for c in CHANGES) + "\n", encoding="utf-8")
    lines = ["txn_id,ts,user_id,merchant_id,scene,amount,discount,campaign_id,type,original_txn_id"]
    for txn_id, ts, user, scene, amount, discount, campaign in PAYMENTS:
        lines.append(f"{txn_id},2025-01-16T{ts}Z,{user},M1,{scene},{amount},{discount},{campaign},payment,")
    lines.append(lines[2])  # an exact duplicate (P2)
    lines.append(lines[4])  # and another (P4)
    lines.append("R1,2025-01-16T07:10:00Z,u1,M1,transfer,800.00,0.00,CMP,refund,P2")  # P2 fully refunded
    # disputed refunds, never applied: more than P5 paid (80.00), and of a payment not loaded
    lines.append("R2,2025-01-16T07:11:00.123456Z,u3,M1,shopping,90.00,0.00,CMP,refund,P5")
    lines.append("R3,2025-01-16T07:12:00Z,u9,M1,transfer,5.00,0.00,CMP,refund,PX")
    txns = tmp_path / "txns.csv"
    txns.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db_path = tmp_path / "scenario.duckdb"
    with Database(db_path) as db:
        ingest(db, transactions=[txns], config_changes=[changes])
    return db_path


def analysed_pair(tmp_path: Path, lake: Path | None = None, **copy_options: str) -> tuple[Path, Path]:
    """The scenario analysed on DuckDB, and a copy of that database for Spark to analyse again;
    with `lake`, its payments also written there as Parquet (COPY options: a lake's layout)."""
    duck_path = scenario_db(tmp_path / "duck")
    with Database(duck_path) as db:
        if lake is not None:
            lake.parent.mkdir(parents=True, exist_ok=True)
            options = "".join(f", {k} {v}" for k, v in copy_options.items())
            db.execute(f"COPY (SELECT * FROM main.transactions) TO '{lake}' (FORMAT parquet{options})").fetchall()
        analyze(db)
    spark_path = tmp_path / "spark" / "scenario.duckdb"
    spark_path.parent.mkdir()
    shutil.copy(duck_path, spark_path)
    return duck_path, spark_path


def test_scenario_same_answer_as_duckdb(tmp_path, spark):
    duck_path, spark_path = analysed_pair(tmp_path)
    spark_analyze(spark_path, spark)   # over a DuckDB analysis
    duck, on_spark = tables(duck_path), tables(spark_path)
    assert_same(duck, on_spark)
    with Database(spark_path) as db:    # and back
        analyze(db)
    assert_same(duck, tables(spark_path))
    s = on_spark["summary"]
    assert (s["bad_change_id"], s["fix_change_id"]) == ("C2", "C4")   # C3, the partial fix, skipped
    assert "C3" in s["fix_change_note"]
    assert s["rows_duplicate"] == 2
    assert {r[0]: r for r in on_spark["txns"]}.keys() == {"P2", "P4", "P5"}
    assert s["excess_total"] == "319.50" and s["net_excess_total"] == "119.50"  # P2's 200 refunded
    columns = [c for c, _ in on_spark["payment_refunds"][0]]
    assert [dict(zip(columns, r)) for r in on_spark["payment_refunds"][1]] == [
        {"txn_id": "P2", "refunds": 1, "refunded_amount": Decimal("800.00"),
         "last_refund_at": datetime(2025, 1, 16, 7, 10, tzinfo=UTC), "applied_refunds": 1,
         "applied_amount": Decimal("800.00"), "applied_last_at": datetime(2025, 1, 16, 7, 10, tzinfo=UTC)},
        {"txn_id": "P5", "refunds": 1, "refunded_amount": Decimal("90.00"),
         "last_refund_at": datetime(2025, 1, 16, 7, 11, 0, 123456, tzinfo=UTC), "applied_refunds": 0,
         "applied_amount": None, "applied_last_at": None},
        {"txn_id": "PX", "refunds": 1, "refunded_amount": Decimal("5.00"),
         "last_refund_at": datetime(2025, 1, 16, 7, 12, tzinfo=UTC), "applied_refunds": 0,
         "applied_amount": None, "applied_last_at": None}]
    assert sum(r[-1] for r in on_spark["minute_metrics"][1]) == Decimal("319.50")
    assert sum(r[6] for r in on_spark["second_metrics"][1]) == 3           # affected_txns, second by second
    with Database(duck_path, read_only=True) as duck_db, Database(spark_path, read_only=True) as spark_db:
        # the same database's secret (a copy): the masked ids are identical
        query = "SELECT pseudonym, user_id FROM user_pseudonyms ORDER BY user_id"
        assert spark_db.rows(query) == duck_db.rows(query) != []


def test_spark_decimal_rounding_is_half_away_from_zero(spark):
    """The Spark apply_discount rounds the cents as DuckDB's macro and model.py do: half away
    from zero, exact products (no float), the cap and the amount as bounds."""
    from analyzer.analysis.model import DiscountConfig, apply

    on_spark = SparkEngine(spark, "/tmp/unused")
    on_spark.run_file("analysis/macros")
    duck = Database(":memory:")
    duck.run_file("analysis/macros")
    query = ("SELECT apply_discount($type, CAST($v AS DECIMAL(18,4)), CAST($cap AS DECIMAL(18,2)), NULL, $scenes, "
             "true, CAST($a AS DECIMAL(18,2)), 'x')")
    cases = [("0.05", "50", None), ("0.15", "50", None), ("0.25", "10", None), ("12.35", "10", None),
             ("0.45", "10", None), ("99999999.99", "12.5", None), ("0.01", "50", None), ("0.03", "50", None),
             ("1.00", "33.3333", None), ("2.50", "1", None), ("1000.00", "20", "150.00"), ("0.10", "100", None)]
    for amount, pct, cap in cases:
        params = {"type": "percent", "v": pct, "cap": cap, "scenes": ["*"], "a": amount}
        want = apply(DiscountConfig(discount_type="percent", discount_value=Decimal(pct), scenes=("*",),
                                    max_discount=Decimal(cap) if cap else None), Decimal(amount), "x")
        assert (amount, pct, on_spark.scalar(query, params)) == (amount, pct, want)
        assert (amount, pct, duck.scalar(query, params)) == (amount, pct, want)
    assert on_spark.scalar(query, {"type": "fixed", "v": "0.50", "cap": None, "scenes": ["*"], "a": "0.30"}) == Decimal("0.30")
    duck.close()


def test_errors_are_one_line(tmp_path, cli):
    db_path = scenario_db(tmp_path)
    unreachable = cli("analyze", "--db", db_path, "--engine", "spark", "--spark-master", "spark://127.0.0.1:9")
    assert unreachable.code == ExitCode.UNAVAILABLE
    assert unreachable.stderr.strip().count("\n") == 0 and "cannot reach the Spark master spark://127.0.0.1:9" in unreachable.stderr
    remote = cli("analyze", "--db", db_path, "--engine", "spark", "--spark-remote", "sc://127.0.0.1:9")
    assert remote.code == ExitCode.UNAVAILABLE and "cannot reach the Spark master sc://127.0.0.1:9" in remote.stderr
    wrong = cli("analyze", "--db", db_path, "--spark-master", "local[2]")
    assert wrong.code == ExitCode.USAGE_ERROR and "need --engine spark" in wrong.stderr
    elsewhere = cli("analyze", "--db", db_path, "--spark-dir", tmp_path / "scratch")
    assert elsewhere.code == ExitCode.USAGE_ERROR and "--spark-dir need --engine spark" in elsewhere.stderr


def test_missing_java_and_pyspark_are_one_line(tmp_path):
    import os
    import subprocess
    import sys

    db_path = scenario_db(tmp_path)
    run = [sys.executable, "-m", "analyzer", "analyze", "--db", str(db_path), "--engine", "spark"]
    no_java = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    no_java["PATH"] = str(Path(sys.executable).parent)  # the venv's bin: python, no java
    proc = subprocess.run(run, capture_output=True, text=True, env=no_java, timeout=300)
    assert proc.returncode == ExitCode.UNAVAILABLE
    assert proc.stderr.strip().count("\n") == 0 and "no Java found (Spark needs Java 17" in proc.stderr
    hide = ("import sys; sys.modules['pyspark'] = None; sys.argv = ['analyzer', *sys.argv[1:]]; "
            "from analyzer.cli import main; main()")
    proc = subprocess.run([sys.executable, "-c", hide, *run[3:]], capture_output=True, text=True, timeout=300)
    assert proc.returncode == ExitCode.UNAVAILABLE
    assert proc.stderr.strip().count("\n") == 0 and "PySpark is not installed: pip install 'incident-analyzer[spark]'" in proc.stderr


def test_payments_from_hive_partitioned_parquet(tmp_path, spark):
    """--spark-transactions: the payments from a hive-partitioned Parquet directory (the lake's
    layout; the partition column comes back last) give the same answer."""
    lake = tmp_path / "lake" / "payments"
    duck_path, spark_path = analysed_pair(tmp_path, lake, PARTITION_BY="(type)")
    assert sorted(p.name for p in lake.iterdir()) == ["type=payment", "type=refund"]
    spark_analyze(spark_path, spark, transactions=str(lake))
    assert_same(tables(duck_path), tables(spark_path))
    assert not list(spark_dir(str(spark_path)).glob("transactions-*.parquet"))  # nothing exported


def test_spark_dir_puts_the_runs_and_the_export_elsewhere(tmp_path, spark):
    """--spark-dir: Spark's run directories and the exported payments go there, not beside the
    database; the answer is the same."""
    duck_path, spark_path = analysed_pair(tmp_path)
    scratch = tmp_path / "scratch"
    spark_analyze(spark_path, spark, workdir=str(scratch))
    assert_same(tables(duck_path), tables(spark_path))
    assert not spark_dir(str(spark_path)).exists()
    assert [p.name[:13] for p in scratch.iterdir()] == ["transactions-"]   # the export, kept; the run removed


def test_stale_runs_are_removed_but_not_one_a_view_reads(tmp_path, spark):
    """The run directories an earlier analysis left behind (killed half-way) are removed at the
    next one; a run directory a view of the database still reads, and anything that is not a run
    directory, stay."""
    db_path = scenario_db(tmp_path)
    runs = spark_dir(str(db_path))
    stale = runs / "0123456789ab" / "priced_exceptions"
    stale.mkdir(parents=True)
    (stale / "part-0.parquet").write_bytes(b"left by a killed run")
    read = runs / "abcdef012345" / "extra"
    read.mkdir(parents=True)
    notes = runs / "notes"
    notes.mkdir()
    with Database(db_path) as db:
        db.execute(f"COPY (SELECT 1 AS x) TO '{read / 'part-0.parquet'}' (FORMAT parquet)").fetchall()
        db.execute(f"CREATE VIEW extra AS SELECT * FROM read_parquet('{read}/*.parquet')").fetchall()
    spark_analyze(db_path, spark)
    assert sorted(p.name[:13] for p in runs.iterdir()) == ["abcdef012345", "notes", "transactions-"]
    with Database(db_path, read_only=True) as db:
        assert db.scalar("SELECT x FROM extra") == 1
        assert db.scalar("SELECT CAST(excess_total AS VARCHAR) FROM incident_summary") == "319.50"


def test_one_currency_on_spark_is_duckdbs_answer(tmp_path, spark, cli):
    """--currency: payments in two currencies (one of them written in lower case), each analysed
    on its own; Spark's analysis of each (its own transactions view, analysis/currency_view.sql
    of its dialect) is DuckDB's, and money is never summed across them."""
    from analyzer.analysis.pipeline import AnalysisParams

    txns, changes = two_currency_inputs(tmp_path, "T4,2025-01-16T06:46:00Z,U3,M1,shopping,50.00,0.50,CMP,USD")
    duck_path, spark_path = tmp_path / "duck.duckdb", tmp_path / "spark.duckdb"
    with Database(duck_path) as db:
        ingest(db, transactions=[txns], config_changes=[changes])
    shutil.copy(duck_path, spark_path)
    for code in ("CNY", "USD"):
        with Database(duck_path) as db:
            analyze(db, AnalysisParams(currency=code))
        with Database(spark_path) as db, payments_engine(db, "spark") as payments:
            analyze(db, AnalysisParams(currency=code), payments=payments)
    for label, excess, txns in (("cny", "19.50", 1), ("usd", "29.00", 2)):
        duck, on_spark = (cli("summary", "--db", path, "--label", label, "--json") for path in (duck_path, spark_path))
        assert duck.code == on_spark.code == 0, duck.stderr + on_spark.stderr
        drop = lambda text: {k: v for k, v in json.loads(text).items() if k not in RUN_KEYS}  # noqa: E731
        assert drop(on_spark.stdout) == drop(duck.stdout)
        s = drop(on_spark.stdout)
        assert (s["currency"], s["excess_total"], s["affected_txns"], s["payments_analyzed"]) == (
            label.upper(), excess, txns, 1 if label == "cny" else 3)
        query = f"SELECT * FROM analysis_{label}.affected_transactions ORDER BY txn_id"
        with Database(duck_path, read_only=True) as d, Database(spark_path, read_only=True) as sp:
            assert sp.rows(query) == d.rows(query) != []


def test_payments_from_a_table_of_the_spark_catalog(tmp_path, spark):
    """--spark-transactions NAME: the payments as a table of Spark's catalog (an external Parquet
    table, as a lake registers its payments) give the same answer."""
    lake = tmp_path / "lake" / "payments.parquet"
    duck_path, spark_path = analysed_pair(tmp_path, lake)
    spark.sql(f"CREATE TABLE lake_payments USING parquet LOCATION '{lake.parent}'").collect()
    try:
        spark_analyze(spark_path, spark, transactions="lake_payments")
        assert_same(tables(duck_path), tables(spark_path))
        assert not list(spark_dir(str(spark_path)).glob("transactions-*.parquet"))  # nothing exported
    finally:
        spark.sql("DROP TABLE IF EXISTS lake_payments").collect()


def test_analyze_under_spark_submit(tmp_path):
    """A cluster run as the README shows it, on a local master: spark-submit starts the driver
    (the package's __main__.py, `analyzer analyze --engine spark`, no --spark-master), the
    session is the one spark-submit configured, and the answer is DuckDB's."""
    import os
    import subprocess
    import sys

    import pyspark

    import analyzer

    duck_path, spark_path = analysed_pair(tmp_path)
    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    main = Path(analyzer.__file__).with_name("__main__.py")
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable,
           "PYSPARK_DRIVER_PYTHON": sys.executable}
    proc = subprocess.run([str(submit), "--master", "local[2]", "--conf", "spark.driver.host=127.0.0.1",
                           "--conf", "spark.driver.bindAddress=127.0.0.1", "--conf", "spark.ui.enabled=false",
                           "--conf", "spark.app.name=cluster-run", str(main), "analyze", "--db", str(spark_path),
                           "--engine", "spark"],
                          capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Bad change      C2" in proc.stdout
    assert_same(tables(duck_path), tables(spark_path))
