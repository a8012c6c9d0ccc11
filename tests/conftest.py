"""Shared fixtures: the CLI as a subprocess, fresh databases, and the sample incident."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
ANALYZER = [sys.executable, "-m", "analyzer"]


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str | Path, cwd: Path | None = None, timeout: float = 600) -> Result:
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run([*ANALYZER, *map(str, args)], capture_output=True, text=True, cwd=cwd or ROOT,
                          timeout=timeout, env=env)
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli():
    return run_cli


# --- the sample incident: the big fixture ---------------------------------------------------
SAMPLE_SEED = 7
SAMPLE_PAYMENTS = 20_000


def two_currency_inputs(tmp_path: Path, *more_rows: str) -> tuple[Path, Path]:
    """Payments in CNY and USD (one written in lower case) under one campaign whose v2 gives 20 %
    off from 06:40 to 06:45, as a CSV and a config log: money never summed across currencies."""
    header = "txn_id,ts,user_id,merchant_id,scene,amount,discount,campaign_id,currency"
    rows = ["T1,2025-01-16T06:41:00Z,U1,M1,shopping,100.00,20.00,CMP,CNY",
            "T2,2025-01-16T06:41:01Z,U2,M1,shopping,100.00,20.00,CMP,USD",
            "T3,2025-01-16T06:41:02Z,U3,M1,shopping,50.00,10.00,CMP,usd", *more_rows]
    txns, changes_path = tmp_path / "tx.csv", tmp_path / "c.jsonl"
    txns.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    changes = [
        {"change_id": "C1", "ts": "2025-01-16T01:00:00Z", "campaign_id": "CMP", "version": "v1",
         "config": {"discount_type": "fixed", "discount_value": "0.50"}},
        {"change_id": "C2", "ts": "2025-01-16T06:40:00Z", "campaign_id": "CMP", "version": "v2",
         "config": {"discount_type": "percent", "discount_value": "20"}},
        {"change_id": "C3", "ts": "2025-01-16T06:45:00Z", "campaign_id": "CMP", "version": "v3",
         "config": {"discount_type": "fixed", "discount_value": "0.50"}}]
    changes_path.write_text("\n".join(json.dumps(c) for c in changes) + "\n", encoding="utf-8")
    return txns, changes_path


def ingest_sample(db_path: Path, sample_dir: Path) -> None:
    from analyzer.db import Database
    from analyzer.ingest import ingest

    with Database(db_path) as db:
        ingest(db, transactions=[sample_dir / "transactions.csv", sample_dir / "transactions_replay.jsonl"],
               config_changes=[sample_dir / "config_changes.jsonl"], events=[sample_dir / "events.csv"],
               tz="Asia/Shanghai")


@pytest.fixture(scope="session")
def sample_result(tmp_path_factory):
    """The sample incident, generated once per test session (every test that needs it shares it)."""
    from analyzer.sample import generate

    return generate(tmp_path_factory.mktemp("sample"), seed=SAMPLE_SEED, payments=SAMPLE_PAYMENTS)


@pytest.fixture(scope="session")
def sample_dir(sample_result) -> Path:
    return sample_result.out_dir


@pytest.fixture(scope="session")
def truth(sample_dir) -> dict:
    import json

    return json.loads((sample_dir / "truth" / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def sample_db(sample_dir, tmp_path_factory) -> Path:
    """The sample, ingested and analyzed with the defaults (bad change inferred). Read-only use."""
    from analyzer.analysis.pipeline import analyze
    from analyzer.db import Database

    path = tmp_path_factory.mktemp("db") / "incident.duckdb"
    ingest_sample(path, sample_dir)
    with Database(path) as db:
        analyze(db)
    return path


# --- Spark: one local session per test session (analyze --engine spark) ----------------------
@pytest.fixture(scope="session")
def spark():
    """A local[2] Spark session, driver bound to loopback, started once and shared."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from analyzer.engine import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()
