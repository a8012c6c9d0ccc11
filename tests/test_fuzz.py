"""Fuzzing every reader: random rows and random bytes never make an internal error (exit 5), and
whatever loads, the accounting of every file holds: rows_read = loaded + duplicate + rejected.

Each example goes through the library's ingest (the CLI maps exactly these exceptions to its
exit codes: an AnalyzerError is a documented code, anything else is INTERNAL_ERROR)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.db import Database
from analyzer.errors import AnalyzerError
from analyzer.ingest import ingest
from analyzer.ingest.readers import READERS

pytestmark = pytest.mark.slow

HEADER = ["txn_id", "ts", "user_id", "merchant_id", "scene", "amount", "discount", "paid", "campaign_id",
          "config_version", "type", "original_txn_id"]
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.function_scoped_fixture])

cell = st.one_of(
    st.sampled_from(["", "T1", "T2", "U1", "M1", "shopping", "transfer", "payment", "refund", "CMP", "v2",
                     "2025-01-16T06:41:00Z", "2025-01-16 14:41:00", "9999-12-31T00:00:00Z", "not a time",
                     "100.00", "0.50", "-1.00", "1.001", "1e5", "NaN", "=HYPERLINK(1)", '"', "a,b", "\x00"]),
    st.text(max_size=12),
)
row = st.lists(cell, min_size=0, max_size=14)


def _run(tmp: Path, name: str, data: bytes, kind: str, fmt: str | None = None) -> None:
    path = tmp / name
    path.write_bytes(data)
    db_path = tmp / "fuzz.duckdb"
    db_path.unlink(missing_ok=True)
    args = {"transactions": [], "config_changes": [], "events": []}
    args[kind] = [path]
    try:
        with Database(db_path) as db:
            report = ingest(db, tz="Asia/Shanghai", fmt=fmt, **args)
    except AnalyzerError:
        return  # a documented exit code with one clear line: fine
    for f in report.files:
        assert f.rows_read == f.rows_loaded + f.rows_duplicate + f.rows_rejected, f
    with Database(db_path, read_only=True) as db:
        table = {"transactions": "transactions", "config_changes": "config_changes", "events": "events"}[kind]
        loaded = db.scalar(f"SELECT count(*) FROM {table}")
        in_rejects = db.scalar("SELECT count(*) FROM rejects")
    assert loaded == sum(f.rows_loaded for f in report.files)
    assert in_rejects == sum(f.rows_rejected for f in report.files)


def _csv(rows: list[list[str]]) -> bytes:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")


@FUZZ
@given(st.lists(row, max_size=12))
def test_random_csv_rows(rows):
    with tempfile.TemporaryDirectory() as tmp:
        _run(Path(tmp), "tx.csv", _csv(rows), "transactions")


@FUZZ
@given(st.lists(st.dictionaries(st.sampled_from(HEADER + ["x", "order.id"]), st.one_of(cell, st.integers(),
                                                                                       st.floats(), st.booleans(),
                                                                                       st.none())),
                max_size=10))
def test_random_json_lines(records):
    with tempfile.TemporaryDirectory() as tmp:
        text = "\n".join(json.dumps(r) for r in records) + "\n"
        _run(Path(tmp), "tx.jsonl", text.encode("utf-8", "surrogatepass"), "transactions")
        _run(Path(tmp), "changes.jsonl", text.encode("utf-8", "surrogatepass"), "config_changes")


@FUZZ
@given(st.binary(max_size=2048), st.sampled_from([r.name for r in READERS] + [None]),
       st.sampled_from(["transactions", "config_changes", "events"]))
def test_random_bytes_to_every_reader(data, fmt, kind):
    reader = next((r for r in READERS if r.name == fmt), None)
    if reader is not None and kind not in reader.kinds:
        kind = reader.kinds[0]
    with tempfile.TemporaryDirectory() as tmp:
        _run(Path(tmp), "input.dat", data, kind, fmt)


@FUZZ
@given(st.lists(row, max_size=6), st.integers(min_value=1, max_value=400))
def test_cut_and_compressed_inputs(rows, cut):
    import gzip

    whole = gzip.compress(_csv(rows))
    with tempfile.TemporaryDirectory() as tmp:
        _run(Path(tmp), "tx.csv.gz", whole[:cut], "transactions")
