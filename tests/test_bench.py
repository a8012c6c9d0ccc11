"""The benchmark's correctness: the analyzer, the pandas pipeline and the polars pipeline give the
same totals to the cent (and the same excess user by user) on the benchmark's own inputs, in
both formats; and the harness runs end to end. No timing is ever asserted here."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import polars as pl
import pytest

from benchmarks.harness.data import SEED, prepare
from benchmarks.harness.pipelines import minimal_polars_pipeline, pandas_pipeline, polars_pipeline
from benchmarks.harness.run import (ANSWER_KEYS, LOAD_SESSIONS, CaseResult, _analyzer_answer, minimal_ratios,
                                    percentile, run_bench,
                                    targets)

from tests.conftest import SAMPLE_PAYMENTS, SAMPLE_SEED

PAYMENTS = 20_000


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, sample_result):
    assert (SAMPLE_SEED, SAMPLE_PAYMENTS) == (SEED, PAYMENTS)  # the shared sample is the bench's input
    return prepare(PAYMENTS, tmp_path_factory.mktemp("bench-data"), sample=sample_result.out_dir)


def _ingest_analyze(path: Path, inputs, fmt: str) -> dict:
    from analyzer.analysis.pipeline import analyze
    from analyzer.db import Database
    from analyzer.ingest import ingest

    with Database(path) as db:
        ingest(db, transactions=[inputs.transactions(fmt)], config_changes=[inputs.config_changes],
               events=[inputs.events], tz=inputs.tz)
        analyze(db)
    return _analyzer_answer(path)


@pytest.fixture(scope="module")
def analyzer_answer(inputs, tmp_path_factory):
    return _ingest_analyze(tmp_path_factory.mktemp("bench-db") / "parquet.duckdb", inputs, "parquet")


def _pipeline_answer(fn, inputs) -> dict:
    answer = fn(inputs.parquet, inputs.config_changes, campaign_id=inputs.campaign_id,
                bad_change_id=inputs.bad_change_id, fix_change_id=inputs.fix_change_id)
    return {"affected_txns": answer.affected_txns, "affected_users": answer.affected_users,
            "excess_cents": answer.excess_cents, "net_excess_cents": answer.net_excess_cents,
            "users_digest": answer.users_digest}


def test_inputs_are_the_sample_with_a_typed_parquet_copy(inputs):
    import duckdb

    assert inputs.csv.exists() and inputs.parquet.exists()
    assert not (inputs.dir / "transactions_replay.jsonl").exists()  # not a benchmark input
    con = duckdb.connect()
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))",
                             [str(inputs.parquet)]).fetchall())
    assert types["ts"] == "TIMESTAMP WITH TIME ZONE"
    assert types["amount"] == types["discount"] == types["paid"] == "DECIMAL(18,2)"
    # every row the CSV reader can split is kept (the one malformed line is left out)
    assert con.execute("SELECT count(*) FROM read_parquet(?)", [str(inputs.parquet)]).fetchall()[0][0] == inputs.rows - 1
    # a second prepare reuses the files
    before = inputs.parquet.stat().st_mtime_ns
    again = prepare(PAYMENTS, inputs.dir.parent)
    assert again.parquet.stat().st_mtime_ns == before and again.rows == inputs.rows


def test_the_analyzer_finds_the_incident_of_the_truth(inputs, analyzer_answer):
    truth = json.loads((inputs.dir / "truth" / "summary.json").read_text())
    assert analyzer_answer["affected_txns"] > 0
    # the benchmark reads transactions.csv only (no replay batch): fewer payments than the truth,
    # but the same incident
    assert analyzer_answer["affected_txns"] <= truth["affected_txns"]


@pytest.mark.parametrize("fn", [pandas_pipeline, polars_pipeline], ids=["pandas", "polars"])
def test_pipelines_agree_with_the_analyzer_to_the_cent(fn, inputs, analyzer_answer):
    assert _pipeline_answer(fn, inputs) == analyzer_answer


def test_the_minimal_pipeline_finds_nearly_the_same_incident(inputs, analyzer_answer):
    """The minimal pipeline (no lag, no logged version, no refunds) is not the full model: it is
    reported, not compared; but it must find the same incident, within a percent."""
    got = _pipeline_answer(minimal_polars_pipeline, inputs)
    assert got["net_excess_cents"] == got["excess_cents"]  # it knows no refunds
    for key in ("affected_txns", "affected_users", "excess_cents"):
        assert abs(got[key] - analyzer_answer[key]) <= 0.01 * analyzer_answer[key], key


def test_csv_and_parquet_ingest_give_the_same_answer(inputs, analyzer_answer, tmp_path):
    assert _ingest_analyze(tmp_path / "csv.duckdb", inputs, "csv") == analyzer_answer


def test_percentile_and_targets():
    assert percentile([1.0], 95) == 1.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile([0.0, 10.0], 95) == pytest.approx(9.5)
    cases = [CaseResult("reference", "r", runs=(1.0, 1.2, 0.9)), CaseResult("ingest", "i", runs=(1.4,)),
             CaseResult("scan", "s", runs=(0.4,)), CaseResult("analyze", "a", runs=(2.0,), peak_rss_bytes=3 * 1024 ** 3),
             CaseResult("pandas", "p", runs=(34.0,)), CaseResult("polars", "q", runs=(6.0,)),
             CaseResult("dashboard:overview", "d", views=(0.1, 0.2, 0.5)),
             CaseResult("report", "x", status="not available yet")]
    got = {t.name: t for t in targets(cases)}
    assert got["ingest ÷ reference load"].value == pytest.approx(1.4) and got["ingest ÷ reference load"].met
    assert got["analyze ÷ raw scan"].value == pytest.approx(5.0) and got["analyze ÷ raw scan"].met is False  # limit 4x
    assert got["pandas ÷ analyzer end to end (ingest + analyze)"].value == pytest.approx(34 / 3.4)
    assert got["polars ÷ analyzer end to end (ingest + analyze)"].met is False  # 6 / 3.4 < 2
    assert got["analyze peak RSS"].met is False
    assert got["dashboard p95, slowest page"].value == pytest.approx(0.47) and not got["dashboard p95, slowest page"].met
    assert minimal_ratios(cases) == {"analyze": None, "end to end": None}
    floor = minimal_ratios([*cases, CaseResult("polars_minimal", "m", runs=(0.5,))])
    assert floor == {"analyze": pytest.approx(4.0), "end to end": pytest.approx(6.8)}


@pytest.mark.slow
def test_run_bench_end_to_end(inputs, tmp_path):
    result = run_bench(payments=(PAYMENTS,), fmt="parquet", repeat=1, out_dir=tmp_path / "results",
                       data_dir=inputs.dir.parent)
    size = result.sizes[0]
    assert size.totals_match
    assert {k: size.answers["pandas"][k] for k in ANSWER_KEYS} == {k: size.answers["analyzer"][k] for k in ANSWER_KEYS}
    keys = [c.key for c in size.cases]
    # Parquet: ingest reads it in place, ingest_copy copies it (its own case)
    assert keys[:5] == ["reference", "ingest", "ingest_copy", "scan", "analyze"] and keys[-2:] == ["pandas", "polars"]
    # both sizes are recorded (at this size DuckDB's fixed blocks outweigh the copied rows; the
    # difference shows at 1M and more: benchmarks/README.md)
    assert size.case("ingest").detail["db_bytes"] > 0 and size.case("ingest_copy").detail["db_bytes"] > 0
    for key in ("reference", "ingest", "ingest_copy", "scan", "analyze", "pandas", "polars"):
        case = size.case(key)
        # one run each, a real process: more than an interpreter's memory, far less than the machine's
        assert case.ok and len(case.runs) == 1 and 30 * 2**20 < case.peak_rss_bytes < 4 * 2**30, case
    dashboard = [c for c in size.cases if c.key.startswith("dashboard:")]
    assert len(dashboard) == 6 and all(c.ok and len(c.views) == 20 for c in dashboard), dashboard
    # the dashboard under load: every page, every session, health answered (benchmarks/harness/loadtest.py)
    load = {c.key: c for c in size.cases if c.key.startswith("load:")}
    assert {"load:", "load:timeline", "load:review", "load:health"} <= set(load) and len(load) >= 9
    assert all(c.ok for c in load.values()), [c.status for c in load.values()]
    assert all(len(c.views) == LOAD_SESSIONS for k, c in load.items() if k != "load:health")
    names = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert "latest.md" in names and "latest.json" in names and len(names) == 4
    data = json.loads((tmp_path / "results" / "latest.json").read_text())
    assert data["sizes"][0]["totals_match"] is True
    assert data["machine"]["cores"] == os.cpu_count()
    assert data["versions"]["duckdb"] == duckdb.__version__ and data["versions"]["polars"] == pl.__version__
    text = (tmp_path / "results" / "latest.md").read_text()
    assert "| ingest ÷ reference load |" in text and "| ingest --copy ÷ reference load |" in text
    assert "equal to the cent" in text
    assert not (inputs.dir.parent / f"work-{PAYMENTS}-parquet").exists()  # databases cleaned up


def test_a_lake_larger_than_a_day_has_the_days_answer(inputs, analyzer_answer, sample_result, tmp_path, monkeypatch):
    """Sizes above LAKE_DAY are a hive-partitioned lake: the incident day plus earlier days of
    ordinary payments. Ingested in place from the glob and analyzed, the lake gives the incident
    day's answer (the earlier days change no affected payment), and so do the pipelines reading
    the lake's directory."""
    from benchmarks.harness import data

    monkeypatch.setattr(data, "LAKE_DAY", PAYMENTS)
    lake = data.prepare(2 * PAYMENTS + PAYMENTS // 2, tmp_path / "data", sample=sample_result.out_dir)
    days = sorted(p.name for p in lake.lake.glob("dt=*"))
    assert days == ["dt=2025-01-14", "dt=2025-01-15", "dt=2025-01-16"]  # 2.5 days of rows, the last day partial
    con = duckdb.connect()
    counted = con.execute("SELECT count(*), count(*) FILTER (campaign_id IS NULL AND discount = 0) "
                          "FROM read_parquet($p)", {"p": str(lake.parquet)}).fetchall()[0]
    con.close()
    assert counted[0] == lake.rows == 2 * PAYMENTS + PAYMENTS // 2
    assert counted[1] >= lake.rows - inputs.rows  # every row of the earlier days is outside the campaign
    assert _ingest_analyze(tmp_path / "lake.duckdb", lake, "parquet") == analyzer_answer
    lake_answer = polars_pipeline(lake.pipeline_input(), lake.config_changes, campaign_id=lake.campaign_id,
                                  bad_change_id=lake.bad_change_id, fix_change_id=lake.fix_change_id)
    assert lake_answer.users_digest == analyzer_answer["users_digest"]
    assert lake_answer.excess_cents == analyzer_answer["excess_cents"]
