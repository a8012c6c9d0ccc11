"""The sample ingests with exactly the row accounting its generator expects, file by file."""

from __future__ import annotations

import json
from pathlib import Path

from analyzer.db import Database


def test_per_file_accounting_and_reasons_match_truth(sample_db, truth):
    expected = truth["row_accounting"]["files"]
    with Database(sample_db, read_only=True) as db:
        rows = db.dicts("SELECT file_id, path, rows_read, rows_loaded, rows_duplicate, rows_rejected FROM load_manifest")
        reasons = db.rows("SELECT file_id, reason, count(*) FROM rejects GROUP BY ALL")
    assert {Path(r["path"]).name for r in rows} == set(expected)
    for row in rows:
        want = expected[Path(row["path"]).name]
        got_reasons = {reason: n for file_id, reason, n in reasons if file_id == row["file_id"]}
        assert got_reasons == want["rejects_by_reason"], row["path"]
        for key in ("rows_read", "rows_loaded", "rows_duplicate", "rows_rejected"):
            assert row[key] == want[key], (row["path"], key)


def test_summary_after_ingest_alone_has_the_accounting(tmp_path, sample_dir, truth, cli):
    from tests.conftest import ingest_sample

    db_path = tmp_path / "ingested.duckdb"
    ingest_sample(db_path, sample_dir)
    res = cli("summary", "--db", db_path, "--json")
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout) == truth["row_accounting"]["transactions"]


def test_cross_file_conflict_is_disputed(sample_db):
    with Database(sample_db, read_only=True) as db:
        disputed = db.rows("""SELECT d.record_key, m.path FROM disputed d JOIN load_manifest m USING (file_id)""")
        loaded = db.scalar("SELECT count(*) FROM transactions WHERE txn_id = ?", [disputed[0][0]])
    assert len(disputed) == 1 and disputed[0][1].endswith("transactions.csv")
    assert loaded == 1
