"""Parquet read in place: `transactions` is a view over the files, with the same answer as a copy.

The sample incident's transactions are written as a hive-partitioned Parquet lake
(dt=.../data_0.parquet), ingested in place and with --copy (plus the replay batch as JSON lines:
a mixed database), and every number of `summary --json` must agree; a file changed or removed
after ingest stops `analyze` (and `summary`) with exit 4 and one line naming it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import duckdb
import pytest

from analyzer.db import Database
from analyzer.errors import DataError, ExitCode
from analyzer.ingest import ingest
from analyzer.ingest.verify import verify
from tests.conftest import FIXTURES, run_cli

TZ = "Asia/Shanghai"


def write_lake(csv: Path, lake: Path) -> list[Path]:
    """The CSV as Parquet partitions by a made-up day (three of them), columns as text."""
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT *, '2025-01-' || CAST(16 + CAST(right(txn_id, 1) AS INTEGER) % 3 AS VARCHAR) AS dt
                         FROM read_csv('{csv}', header = true, all_varchar = true, ignore_errors = true))
                    TO '{lake}' (FORMAT parquet, PARTITION_BY (dt))""").fetchall()
    con.close()
    return sorted(lake.rglob("*.parquet"))


@pytest.fixture(scope="module")
def lake(sample_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lake") / "transactions"
    files = write_lake(sample_dir / "transactions.csv", out)
    assert [f.parent.name for f in files] == ["dt=2025-01-16", "dt=2025-01-17", "dt=2025-01-18"]
    return out


def ingest_cli(db: Path, sample_dir: Path, *transactions: Path | str, copy: bool = False):
    args = ["ingest", "--db", db, "--transactions", *transactions, "--config-changes",
            sample_dir / "config_changes.jsonl", "--events", sample_dir / "events.csv", "--tz", TZ]
    return run_cli(*args, *(["--copy"] if copy else []))


def summary_json(db: Path) -> dict:
    res = run_cli("summary", "--db", db, "--json")
    assert res.code == 0, res.stderr
    data = json.loads(res.stdout)
    data.pop("analyzed_at")
    return data


@pytest.fixture(scope="module")
def both(lake, sample_dir, tmp_path_factory) -> dict[str, Path]:
    """The lake plus the replay batch (JSON lines, always copied), in place and copied, analyzed."""
    root = tmp_path_factory.mktemp("inplace")
    dbs = {"in_place": root / "in_place.duckdb", "copy": root / "copy.duckdb"}
    for name, db in dbs.items():
        res = ingest_cli(db, sample_dir, lake, sample_dir / "transactions_replay.jsonl", copy=name == "copy")
        assert res.code == 0, res.stderr
        res = run_cli("analyze", "--db", db)
        assert res.code == 0, res.stderr
    return dbs


def test_in_place_gives_the_copys_answer(both, lake):
    in_place, copy = summary_json(both["in_place"]), summary_json(both["copy"])
    assert in_place == copy
    assert in_place["affected_txns"] > 0 and in_place["rows_loaded"] > 19_000 and in_place["excess_total"]
    with Database(both["in_place"], read_only=True) as a, Database(both["copy"], read_only=True) as b:
        # the same rows, value by value, with their file and line; the same quarantine
        for query in ("SELECT * FROM transactions ORDER BY file_id, line",
                      "SELECT * FROM rejects ORDER BY ALL", "SELECT * FROM disputed ORDER BY ALL"):
            assert a.rows(query) == b.rows(query), query
        # in place: a view over the three partitions and the copied replay rows; nothing of the lake copied
        assert a.scalar("SELECT count(*) FROM duckdb_views() WHERE view_name = 'transactions'") == 1
        files = a.rows("SELECT path, sha256 FROM load_manifest WHERE kind = 'transactions' ORDER BY file_id")
        assert [Path(p).parent.name for p, _ in files][:3] == ["dt=2025-01-16", "dt=2025-01-17", "dt=2025-01-18"]
        for path, sha in files[:3]:
            assert Path(path).is_absolute() and sha == hashlib.sha256(Path(path).read_bytes()).hexdigest()
        assert a.scalar("SELECT count(*) FROM inplace_files") == 3
        replay_id = a.scalar("SELECT file_id FROM load_manifest WHERE path LIKE '%replay.jsonl'")
        assert a.scalar("SELECT count(*) FROM transactions_copied") == a.scalar(
            "SELECT count(*) FROM transactions WHERE file_id = ?", [replay_id]) > 0
        assert b.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'transactions'") == 1
        # the hive partition column is not a column of the table
        assert "dt" not in [c[0] for c in a.rows("DESCRIBE transactions")]


def test_a_glob_names_the_same_files(lake, sample_dir, tmp_path, both):
    db = tmp_path / "glob.duckdb"
    res = ingest_cli(db, sample_dir, f"{lake}/*/*.parquet", sample_dir / "transactions_replay.jsonl")
    assert res.code == 0, res.stderr
    assert run_cli("analyze", "--db", db).code == 0
    assert summary_json(db) == summary_json(both["in_place"])


def _copy_lake(lake: Path, to: Path) -> Path:
    for f in sorted(lake.rglob("*.parquet")):
        target = to / f.relative_to(lake)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.read_bytes())
    return to


def test_a_changed_file_is_refused_at_analyze(lake, sample_dir, tmp_path):
    mine = _copy_lake(lake, tmp_path / "lake")
    db = tmp_path / "changed.duckdb"
    assert ingest_cli(db, sample_dir, mine).code == 0
    assert run_cli("analyze", "--db", db).code == 0
    part = mine / "dt=2025-01-17" / "data_0.parquet"
    # rewrite the partition with one amount changed (a cent more on its first valid payment)
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT * REPLACE (CASE WHEN txn_id = (SELECT min(txn_id) FROM read_parquet('{part}')
                                                              WHERE amount = '100.00')
                                                 THEN '100.01' ELSE amount END AS amount)
                          FROM read_parquet('{part}')) TO '{part}.new' (FORMAT parquet)""").fetchall()
    con.close()
    os.replace(f"{part}.new", part)
    res = run_cli("analyze", "--db", db)
    assert res.code == ExitCode.DATA_ERROR == 4, res.stderr
    line = res.stderr.strip()
    assert "\n" not in line and str(part) in line and "changed since it was ingested" in line, line
    assert "Traceback" not in res.stderr
    res = run_cli("summary", "--db", db)
    assert res.code == 4 and "changed since it was ingested" in res.stderr


def test_a_missing_file_is_refused(lake, sample_dir, tmp_path):
    mine = _copy_lake(lake, tmp_path / "lake")
    db = tmp_path / "missing.duckdb"
    assert ingest_cli(db, sample_dir, mine).code == 0
    gone = mine / "dt=2025-01-18" / "data_0.parquet"
    gone.unlink()
    res = run_cli("analyze", "--db", db)
    assert res.code == 4, res.stderr
    assert str(gone) in res.stderr and "is missing" in res.stderr and "Traceback" not in res.stderr
    # a new ingest into that database is refused too (its rows would be judged against the file)
    res = ingest_cli(db, sample_dir, sample_dir / "transactions_replay.jsonl")
    assert res.code == 4 and "is missing" in res.stderr


def test_the_same_bytes_pass_quick_and_full(lake, sample_dir, tmp_path):
    mine = _copy_lake(lake, tmp_path / "lake")
    db = tmp_path / "touched.duckdb"
    assert ingest_cli(db, sample_dir, mine).code == 0
    part = mine / "dt=2025-01-16" / "data_0.parquet"
    st = part.stat()
    os.utime(part, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # touched: the full hash decides
    with Database(db, read_only=True) as con:
        assert verify(con, "quick") == 3 and verify(con, "full") == 3
    assert run_cli("analyze", "--db", db, "--verify", "full").code == 0
    # same size, same mtime, other footer: changed without a full hash
    data = bytearray(part.read_bytes())
    data[-9] ^= 0xFF  # a byte of the footer's metadata
    part.write_bytes(bytes(data))
    os.utime(part, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    with Database(db, read_only=True) as con, pytest.raises(DataError, match="changed since it was ingested"):
        verify(con, "quick")


def test_row_accounting_reconciles_for_a_parquet_file_with_bad_rows(tmp_path):
    bad = tmp_path / "bad_rows.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{FIXTURES / 'bad_rows.csv'}', header = true, all_varchar = true, ignore_errors = true)) "
                f"TO '{bad}' (FORMAT parquet)").fetchall()
    con.close()
    counts = {}
    for copy in (False, True):
        with Database(tmp_path / f"bad-{copy}.duckdb") as db:
            report = ingest(db, transactions=[bad], tz=TZ, copy=copy)
            (f,) = report.files
            assert f.rows_read == f.rows_loaded + f.rows_duplicate + f.rows_rejected and f.reconciles
            assert f.rows_rejected > 0 and f.rows_loaded > 0
            loaded = db.scalar("SELECT count(*) FROM transactions")
            manifest = db.one("SELECT rows_read, rows_loaded, rows_duplicate, rows_rejected FROM load_manifest")
            assert loaded == f.rows_loaded == manifest[1]
            assert sum(f.rejects_by_reason.values()) == db.scalar("SELECT count(*) FROM rejects")
            counts[copy] = (manifest, db.rows("SELECT * FROM transactions ORDER BY line"),
                            db.rows("SELECT * FROM rejects ORDER BY line"))
            if not copy:  # the lines left out of the view: rejected and collapsed, nothing else
                excluded = db.scalar("SELECT count(*) FROM inplace_excluded")
                assert excluded == f.rows_rejected + f.rows_duplicate
    assert counts[False] == counts[True]


def test_an_empty_directory_is_an_input_error(tmp_path):
    (tmp_path / "lake").mkdir()
    res = run_cli("ingest", "--db", tmp_path / "x.duckdb", "--transactions", tmp_path / "lake")
    assert res.code == ExitCode.INPUT_ERROR and "without Parquet files" in res.stderr


def test_a_time_window_reads_only_its_row_groups(sample_dir, tmp_path):
    """Time pruning: a file written in time order (as exports are) with small row groups; a
    window over priced_transactions (what second_metrics and the Timeline's range pages ask)
    reads only the row groups whose ts statistics overlap it, through both views, and gives
    the answer of reading everything."""
    typed = tmp_path / "typed.parquet"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'").fetchall()
    con.execute(f"""COPY (SELECT * REPLACE (CAST(ts AS TIMESTAMPTZ) AS ts,
                                 CAST(amount AS DECIMAL(18,2)) AS amount, CAST(discount AS DECIMAL(18,2)) AS discount,
                                 CAST(paid AS DECIMAL(18,2)) AS paid)
                         FROM read_csv('{sample_dir / "transactions.csv"}', header = true, all_varchar = true,
                                       ignore_errors = true)
                         WHERE TRY_CAST(ts AS TIMESTAMPTZ) IS NOT NULL AND TRY_CAST(amount AS DECIMAL(18,2)) IS NOT NULL
                           AND TRY_CAST(amount AS DECIMAL(38,6)) = TRY_CAST(amount AS DECIMAL(18,2))
                           AND coalesce(TRY_CAST(discount AS DECIMAL(38,6)) = TRY_CAST(discount AS DECIMAL(18,2)), true)
                           AND coalesce(TRY_CAST(paid AS DECIMAL(38,6)) = TRY_CAST(paid AS DECIMAL(18,2)), true)
                         ORDER BY ts, txn_id)
                    TO '{typed}' (FORMAT parquet, ROW_GROUP_SIZE 2048)""").fetchall()
    groups = con.execute(f"SELECT count(DISTINCT row_group_id) FROM parquet_metadata('{typed}')").fetchall()[0][0]
    con.close()
    db_path = tmp_path / "window.duckdb"
    assert ingest_cli(db_path, sample_dir, typed).code == 0
    assert run_cli("analyze", "--db", db_path).code == 0
    with Database(db_path, read_only=True) as db:
        start, end = db.one("SELECT min(ts), min(ts) + INTERVAL 20 SECOND FROM affected_transactions")
        window = "SELECT count(*), sum(excess), sum(amount) FROM priced_transactions WHERE ts >= $a AND ts < $b"
        plan = db.execute("EXPLAIN ANALYZE " + window, {"a": start, "b": end}).fetchall()[0][1]
        got = db.one(window, {"a": start, "b": end})
        every = db.polars("SELECT ts, excess, amount FROM priced_transactions")
    scanned = [(int(a), int(b)) for a, b in re.findall(r"Row Groups Scanned: (\d+) / (\d+)", plan) if int(b) == groups]
    assert groups >= 8 and scanned and all(a < b / 4 for a, b in scanned), (groups, scanned)
    inside = every.filter((every["ts"] >= start) & (every["ts"] < end))
    assert got[0] == inside.height > 0
    assert got[1] == sum(inside["excess"].to_list()) and got[2] == sum(inside["amount"].to_list())


def test_ingest_and_analyze_run_under_a_memory_limit_and_put_the_previous_back(sample_dir, tmp_path):
    """ingest and analyze keep DuckDB within a memory limit (1536MB by default, --memory-limit),
    spilling beyond it, and leave the connection's own limit as it was; a size DuckDB cannot read
    is a usage error before anything is loaded."""
    from analyzer.analysis.pipeline import AnalysisParams, analyze

    db_path = tmp_path / "limited.duckdb"
    with Database(db_path, memory_limit="3GB") as db:
        before = db.scalar("SELECT current_setting('memory_limit')")
        report = ingest(db, transactions=[sample_dir / "transactions.csv"],
                        config_changes=[sample_dir / "config_changes.jsonl"], events=[sample_dir / "events.csv"],
                        tz=TZ, memory_limit="256MB")
        assert report.totals("transactions")["rows_loaded"] > 0
        assert db.scalar("SELECT current_setting('memory_limit')") == before
        analyze(db, AnalysisParams(memory_limit="256MB"))
        assert db.scalar("SELECT current_setting('memory_limit')") == before
        assert db.scalar("SELECT count(*) FROM affected_users") > 0
    res = run_cli("ingest", "--db", tmp_path / "other.duckdb", "--transactions", sample_dir / "transactions.csv",
                  "--tz", TZ, "--memory-limit", "lots")
    assert res.code == ExitCode.USAGE_ERROR and "--memory-limit 'lots'" in res.stderr
    assert not (tmp_path / "other.duckdb").exists()
    res = run_cli("analyze", "--db", db_path, "--memory-limit", "1GB")
    assert res.code == 0, res.stderr
