"""One run of one benchmark case, in a process of its own: `python -m benchmarks.harness.worker SPEC OUT`.

Started by `run.py` for every run of every case, so that each figure has a fresh process (no
warm caches inside DuckDB, polars or pandas, and a peak RSS that is the case's own). SPEC is a
JSON object (the case and its inputs); the result is written as JSON to the file OUT: the
seconds of the work itself (imports and process start are not timed, for any case), the peak
RSS of the process, and what the case produced (row counts, the pipelines' totals).
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any


def peak_rss_bytes() -> int:
    """The process's peak RSS. VmHWM of /proc/self/status belongs to this program's memory map
    alone; getrusage's ru_maxrss would also count the parent's peak, which Linux carries across
    fork and exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def _fresh(path: Path) -> None:
    for p in (path, Path(str(path) + ".wal")):
        p.unlink(missing_ok=True)


def run_case(spec: dict[str, Any]) -> dict[str, Any]:
    case = spec["case"]
    db_path = Path(spec["db"]) if spec.get("db") else None
    memory_limit = spec.get("memory_limit")
    out: dict[str, Any] = {}

    if case == "reference":
        import duckdb

        from benchmarks.harness.data import statement

        _fresh(db_path)
        config = {"memory_limit": memory_limit} if memory_limit else {}
        con = duckdb.connect(str(db_path), config=config)
        sql = statement(f"reference_{spec['format']}")
        start = time.perf_counter()
        con.execute(sql, {"path": spec["transactions"]}).fetchall()
        seconds = time.perf_counter() - start
        out["rows_loaded"] = con.execute("SELECT count(*) FROM transactions").fetchall()[0][0]
        con.close()

    elif case == "ingest":
        from analyzer.db import Database
        from analyzer.ingest import ingest
        from analyzer.ingest.loader import INGEST_MEMORY_LIMIT

        _fresh(db_path)
        start = time.perf_counter()
        with Database(db_path, memory_limit=memory_limit) as db:
            report = ingest(db, transactions=[spec["transactions"]], config_changes=[spec["config_changes"]],
                            events=[spec["events"]], tz=spec["tz"], copy=bool(spec.get("copy")),
                            memory_limit=memory_limit or INGEST_MEMORY_LIMIT)  # as `analyzer ingest` does
        seconds = time.perf_counter() - start
        out.update(report.totals("transactions"))
        out["db_bytes"] = db_path.stat().st_size

    elif case == "scan":
        from benchmarks.harness.data import statement
        from analyzer.db import Database

        with Database(db_path, read_only=True, memory_limit=memory_limit) as db:
            start = time.perf_counter()
            row = db.one(statement("raw_scan"))
            seconds = time.perf_counter() - start
        out["rows_scanned"] = row[0]

    elif case == "analyze":
        from analyzer.analysis.pipeline import ANALYZE_MEMORY_LIMIT, AnalysisParams, analyze
        from analyzer.db import Database

        start = time.perf_counter()
        with Database(db_path, memory_limit=memory_limit) as db:
            # as `analyzer analyze` does, unless --memory-limit asks for another limit
            analyze(db, AnalysisParams(memory_limit=memory_limit or ANALYZE_MEMORY_LIMIT))
        seconds = time.perf_counter() - start

    elif case == "spark":
        # analyze --engine spark on local[2]: the session's start-up and the one-off export of
        # the ingested payments to Parquet are timed apart from the analysis itself
        from analyzer.analysis.pipeline import ANALYZE_MEMORY_LIMIT, AnalysisParams, analyze
        from analyzer.db import Database
        from analyzer.engine import SparkEngine, export_transactions, spark_dir, spark_session

        start = time.perf_counter()
        session = spark_session("local[2]")
        out["startup_s"] = round(time.perf_counter() - start, 3)
        with Database(db_path, memory_limit=memory_limit) as db:
            start = time.perf_counter()
            parquet = export_transactions(db)
            out["export_s"] = round(time.perf_counter() - start, 3)
            start = time.perf_counter()
            engine = SparkEngine(session, spark_dir(str(db_path)))
            engine.load_transactions(str(parquet))
            analyze(db, AnalysisParams(memory_limit=memory_limit or ANALYZE_MEMORY_LIMIT), payments=engine)
            seconds = time.perf_counter() - start
            engine.drop_scratch(keep=())
        session.stop()

    elif case == "report":
        from analyzer.db import Database
        from analyzer.report import write_reports

        target = Path(spec["out_dir"])
        shutil.rmtree(target, ignore_errors=True)
        start = time.perf_counter()
        with Database(db_path, read_only=True, memory_limit=memory_limit) as db:
            result = write_reports(db, target, formats=tuple(spec["formats"]))
        seconds = time.perf_counter() - start
        out["files"] = len(result.files)
        out["bytes"] = sum(p.stat().st_size for p in result.files if Path(p).is_file())
        # the XLSX part on its own (rows of every workbook per second): run.py shows it as a case
        out["xlsx_seconds"], out["xlsx_rows"] = result.xlsx_seconds, result.xlsx_rows

    elif case == "dashboard":
        from analyzer.db import Database  # (imported in each branch: a later one's import makes it local)
        from benchmarks.harness.dashboard import pages

        page = pages()[spec["page"]]
        db = Database(db_path, read_only=True)
        views = []
        start = time.perf_counter()
        for _ in range(int(spec["views"])):
            t0 = time.perf_counter()
            page(db)
            views.append(time.perf_counter() - t0)
        seconds = time.perf_counter() - start
        db.close()
        out["views"] = views

    elif case == "load":
        from benchmarks.harness.loadtest import load_dashboard

        # a real `analyzer dashboard` of its own and N Streamlit sessions at once (loadtest.py)
        result = load_dashboard(db_path, sessions=int(spec["sessions"]), log_path=Path(spec["log"]))
        seconds = result.seconds
        out["load"] = result.summary() | {
            "page_seconds": {p: result.page_seconds(p) for p in result.pages}, "titles": result.titles,
            "health_seconds": [h.seconds for h in result.health]}

    elif case in ("pandas", "polars", "polars_minimal"):
        from benchmarks.harness import pipelines

        if case == "pandas":
            import pandas  # noqa: F401  (imported before the clock starts, like every case)
        else:
            import polars  # noqa: F401
        fn = {"pandas": pipelines.pandas_pipeline, "polars": pipelines.polars_pipeline,
              "polars_minimal": pipelines.minimal_polars_pipeline}[case]
        start = time.perf_counter()
        answer = fn(Path(spec["transactions"]), Path(spec["config_changes"]), campaign_id=spec["campaign_id"],
                    bad_change_id=spec["bad_change_id"], fix_change_id=spec["fix_change_id"])
        seconds = time.perf_counter() - start
        out["answer"] = answer.as_dict() | {"excess_cents": answer.excess_cents,
                                            "net_excess_cents": answer.net_excess_cents}
    else:
        raise SystemExit(f"unknown case {case!r}")

    return {"case": case, "seconds": seconds, "peak_rss_bytes": peak_rss_bytes(), **out}


def main(argv: list[str]) -> None:
    spec = json.loads(argv[1])
    result = run_case(spec)
    Path(argv[2]).write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv)
