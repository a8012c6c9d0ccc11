"""Run every case at every size, side by side, and compute the figures, ratios and targets.

Called by `analyzer bench` (through `benchmarks.harness.run_bench`). For each size: prepare the
inputs (untimed), then run each case `repeat` times, each run in a fresh process
(`worker.py`), in this order on the same files: reference load, ingest (Parquet: read in place,
the default), ingest --copy (Parquet only: the rows copied into the database), raw scan,
analyze, report, dashboard pages, pandas, polars. Scan, analyze, report and the dashboard run
on the database of the default ingest (for Parquet: the view over the file). The databases live in a work directory under data_dir
and are removed at the end of the size. The pipelines' totals must equal the analyzer's to the
cent, or the run fails (after the results are written, so the mismatch is on record).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analyzer.errors import DataError, UsageError
from benchmarks.harness.data import Inputs, prepare, statement

CHECKOUT = Path(__file__).resolve().parents[2]

Progress = Callable[[str], None]

REPORT_FORMATS = ("csv", "parquet", "xlsx", "html")
DASHBOARD_VIEWS = 20  # page views per page, for p50 / p95
LOAD_SESSIONS = 20  # concurrent Streamlit sessions of the "dashboard under load" case
GIB = 1024 ** 3

# Targets of the engine-speed issue (stated for 10M and 50M payments; shown at every size).
# Ingest of Parquet in place: half DuckDB's own load (a copy keeps the 1.5x of a copy);
# analyze: 4x the raw scan of the columns it reads, from where it reads them.
INGEST_VS_REFERENCE = 1.5
INPLACE_VS_REFERENCE = 0.5
ANALYZE_VS_SCAN = 4.0
SPEEDUP_VS_PANDAS = 6.0
SPEEDUP_VS_POLARS = 2.0
ANALYZE_PEAK_RSS = 2 * GIB
DASHBOARD_P95_S = 0.300

# The implementations of the full model, which must agree to the cent (the minimal polars
# pipeline, what an analyst writes in a hurry, is timed and its totals shown, never compared).
FULL_MODEL = ("analyzer", "pandas", "polars", "spark")
SPARK_LABEL = ("spark local[2]: analyze --engine spark (start-up and the one-off Parquet export "
               "apart: detail startup_s, export_s)")
ANSWER_KEYS = ("affected_txns", "affected_users", "excess_cents", "net_excess_cents", "users_digest")


@dataclass(frozen=True)
class CaseResult:
    key: str
    label: str
    status: str = "ok"  # ok | not available yet | failed: ...
    runs: tuple[float, ...] = ()
    peak_rss_bytes: int | None = None
    rows: int | None = None  # rows the case works through, for rows per second
    views: tuple[float, ...] = ()  # dashboard: every page view's seconds
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok" and bool(self.runs or self.views)

    @property
    def median(self) -> float | None:
        if self.views:
            return statistics.median(self.views)
        return statistics.median(self.runs) if self.runs else None

    @property
    def min(self) -> float | None:
        values = self.views or self.runs
        return min(values) if values else None

    @property
    def max(self) -> float | None:
        values = self.views or self.runs
        return max(values) if values else None

    @property
    def p95(self) -> float | None:
        return percentile(self.views, 95) if self.views else None

    @property
    def rows_per_second(self) -> float | None:
        m = self.median
        return self.rows / m if self.rows and m else None

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "status": self.status, "median_s": self.median,
                "min_s": self.min, "max_s": self.max, "p95_s": self.p95, "runs_s": list(self.runs),
                "views_s": list(self.views), "rows": self.rows, "rows_per_s": self.rows_per_second,
                "peak_rss_bytes": self.peak_rss_bytes, "detail": self.detail}


@dataclass(frozen=True)
class Target:
    name: str
    value: float | None
    limit: float
    kind: str  # "max" (value must stay at or under limit) or "min"
    unit: str  # "x", "bytes", "s"
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value <= self.limit if self.kind == "max" else self.value >= self.limit

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "limit": self.limit, "kind": self.kind, "unit": self.unit,
                "met": self.met, "note": self.note}


@dataclass(frozen=True)
class SizeResult:
    payments: int
    rows: int
    fmt: str
    file_bytes: int
    db_bytes: int | None
    cases: tuple[CaseResult, ...]
    answers: dict[str, dict[str, Any]]  # analyzer / pandas / polars -> totals
    totals_match: bool
    targets: tuple[Target, ...]

    def case(self, key: str) -> CaseResult | None:
        return next((c for c in self.cases if c.key == key), None)

    def as_dict(self) -> dict[str, Any]:
        return {"payments": self.payments, "rows": self.rows, "format": self.fmt, "file_bytes": self.file_bytes,
                "db_bytes": self.db_bytes, "cases": [c.as_dict() for c in self.cases], "answers": self.answers,
                "totals_match": self.totals_match, "targets": [t.as_dict() for t in self.targets]}


@dataclass(frozen=True)
class BenchResult:
    started_at: str
    fmt: str
    repeat: int
    memory_limit: str | None
    machine: dict[str, Any]
    versions: dict[str, str]
    sizes: tuple[SizeResult, ...]
    files: tuple[Path, ...] = ()

    @property
    def markdown(self) -> str:
        from benchmarks.harness.render import markdown

        return markdown(self)

    def as_dict(self) -> dict[str, Any]:
        return {"started_at": self.started_at, "format": self.fmt, "repeat": self.repeat,
                "memory_limit": self.memory_limit, "machine": self.machine, "versions": self.versions,
                "sizes": [s.as_dict() for s in self.sizes]}


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * pct / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


# --- the machine ------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {"cores": os.cpu_count(), "cpu": model, "memory_bytes": memory,
            "os": f"{platform.system()} {platform.release()}", "load_average": list(os.getloadavg())}


def versions() -> dict[str, str]:
    from importlib.metadata import version

    import analyzer

    out = {"analyzer": analyzer.__version__, "python": platform.python_version()}
    for dist in ("duckdb", "polars", "pandas", "pyarrow"):
        out[dist] = version(dist)
    return out


# --- running the cases --------------------------------------------------------------------------
class CaseFailed(Exception):
    pass


def _run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="analyzer-bench-") as tmp:
        out = Path(tmp) / "result.json"
        # the harness lives in the checkout, not in the installed package: run from its root
        proc = subprocess.run([sys.executable, "-m", "benchmarks.harness.worker", json.dumps(spec), str(out)],
                              capture_output=True, text=True, cwd=CHECKOUT)
        if proc.returncode != 0 or not out.exists():
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            # the error's own line (DuckDB appends advice after it), then the last lines
            first = [line for line in lines if "Error:" in line or "Exception:" in line][:1]
            tail = "\n".join(first + [line for line in lines[-5:] if line not in first])
            raise CaseFailed(f"{spec['case']} exited with {proc.returncode}: {tail}")
        return json.loads(out.read_text(encoding="utf-8"))


def _repeat(key: str, label: str, spec: dict[str, Any], repeat: int, rows: int | None, progress: Progress | None,
            before: Callable[[], None] | None = None) -> tuple[CaseResult, list[dict[str, Any]]]:
    runs, peaks, results = [], [], []
    for n in range(repeat):
        if before:
            before()
        if progress:
            progress(f"  {label}: run {n + 1}/{repeat}")
        try:
            result = _run_worker(spec)
        except CaseFailed as exc:
            return CaseResult(key, label, status=f"failed: {exc}", rows=rows), results
        runs.append(result["seconds"])
        peaks.append(result["peak_rss_bytes"])
        results.append(result)
    detail = {k: v for k, v in results[-1].items() if k not in ("case", "seconds", "peak_rss_bytes", "answer")}
    return CaseResult(key, label, runs=tuple(runs), peak_rss_bytes=max(peaks), rows=rows, detail=detail), results


def _analyzer_answer(db_path: Path) -> dict[str, Any]:
    from benchmarks.harness.pipelines import users_digest
    from analyzer.db import Database

    with Database(db_path, read_only=True) as db:
        txns, users, excess, net = db.one(statement("analyzer_answer"))
        digest = users_digest(db.rows(statement("analyzer_users")))
    return {"affected_txns": txns, "affected_users": users, "excess_cents": excess, "net_excess_cents": net,
            "users_digest": digest}


def run_size(inputs: Inputs, *, fmt: str, repeat: int, memory_limit: str | None, work: Path,
             progress: Progress | None = None, keep: bool = False, spark: bool = False) -> SizeResult:
    """All the cases at one size. `work` is emptied first and removed at the end unless `keep`.
    `spark`: also the case `spark local[2]` (analyze --engine spark), whose answer must be the
    analyzer's."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    rows = inputs.rows
    common = {"transactions": str(inputs.transactions(fmt)), "format": fmt, "memory_limit": memory_limit,
              "config_changes": str(inputs.config_changes), "events": str(inputs.events), "tz": inputs.tz}
    ref_db, ingested, analyzed = work / "reference.duckdb", work / "ingested.duckdb", work / "analyzed.duckdb"
    cases: list[CaseResult] = []
    say = progress
    if say:
        say(f"{inputs.payments:,} payments ({rows:,} rows, {fmt})")
    reference_label = f"reference load: DuckDB CREATE TABLE AS SELECT * FROM read_{fmt}(...)"
    case, _ = _repeat("reference", reference_label, {**common, "case": "reference", "db": str(ref_db)},
                      repeat, rows, say)
    cases.append(case)
    for p in (ref_db, Path(str(ref_db) + ".wal")):
        p.unlink(missing_ok=True)

    how = "Parquet read in place" if fmt == "parquet" else "copied"
    case, _ = _repeat("ingest", f"analyzer ingest ({inputs.input_name(fmt)}, {how}, + config changes + events)",
                      {**common, "case": "ingest", "db": str(ingested)}, repeat, rows, say)
    cases.append(case)
    if not case.ok:
        raise DataError(f"ingest failed, nothing else can run: {case.status}")
    if fmt == "parquet":
        copied = work / "copied.duckdb"
        cases.append(_repeat("ingest_copy", f"analyzer ingest --copy ({inputs.input_name(fmt)} copied into the "
                             "database, + config changes + events)",
                             {**common, "case": "ingest", "db": str(copied), "copy": True}, repeat, rows, say)[0])
        for p in (copied, Path(str(copied) + ".wal")):
            p.unlink(missing_ok=True)

    cases.append(_repeat("scan", "raw scan of the columns analyze reads (sum or max of each)",
                         {**common, "case": "scan", "db": str(ingested)}, repeat, rows, say)[0])

    def fresh_copy() -> None:
        shutil.copyfile(ingested, analyzed)

    case, _ = _repeat("analyze", "analyzer analyze (all derived tables, bad-change ranking)",
                      {**common, "case": "analyze", "db": str(analyzed)}, repeat, rows, say, before=fresh_copy)
    cases.append(case)
    if not case.ok:
        raise DataError(f"analyze failed: {case.status}")
    db_bytes = analyzed.stat().st_size
    on_spark = work / "spark.duckdb"
    if spark:
        def spark_copy() -> None:
            shutil.copyfile(ingested, on_spark)

        cases.append(_repeat("spark", SPARK_LABEL, {**common, "case": "spark", "db": str(on_spark)},
                             repeat, rows, say, before=spark_copy)[0])

    report_label = f"analyzer report ({', '.join(REPORT_FORMATS)})"
    case, runs = _repeat("report", report_label,
                         {**common, "case": "report", "db": str(analyzed), "out_dir": str(work / "report"),
                          "formats": list(REPORT_FORMATS)}, repeat, rows, say)
    cases.append(case)
    if case.ok and runs and runs[-1].get("xlsx_seconds") is not None:  # its XLSX part: workbook rows per second
        cases.append(CaseResult("report:xlsx", f"of which XLSX ({runs[-1]['xlsx_rows']:,} workbook rows)",
                                runs=tuple(r["xlsx_seconds"] for r in runs), rows=runs[-1]["xlsx_rows"]))

    from benchmarks.harness.dashboard import pages

    for name in pages():
        label = f"dashboard page {name} ({DASHBOARD_VIEWS} views)"
        if say:
            say(f"  {label}")
        try:
            result = _run_worker({**common, "case": "dashboard", "db": str(analyzed), "page": name,
                                  "views": DASHBOARD_VIEWS})
            cases.append(CaseResult(f"dashboard:{name}", label, views=tuple(result["views"]),
                                    runs=(result["seconds"],), peak_rss_bytes=result["peak_rss_bytes"]))
        except CaseFailed as exc:
            cases.append(CaseResult(f"dashboard:{name}", label, status=f"failed: {exc}"))

    cases += load_cases(analyzed, work, say)

    answers = {"analyzer": _analyzer_answer(analyzed)}
    if spark and on_spark.exists():
        answers["spark"] = _analyzer_answer(on_spark)
    pipeline_spec = {**common, "transactions": str(inputs.pipeline_input()), "campaign_id": inputs.campaign_id,
                     "bad_change_id": inputs.bad_change_id, "fix_change_id": inputs.fix_change_id}
    for key, label in (("polars_minimal", "minimal polars pipeline: campaign filter, join_asof, intended config, "
                                          "group_by (no lag, no refunds: not compared)"),
                       ("pandas", "pandas pipeline: read_parquet, merge_asof by campaign, groupby"),
                       ("polars", "polars pipeline: scan_parquet, join_asof by campaign, group_by")):
        case, results = _repeat(key, label, {**pipeline_spec, "case": key}, repeat, rows, say)
        cases.append(case)
        if results:
            answers[key] = {k: results[-1]["answer"][k] for k in ANSWER_KEYS}
            if any({k: r["answer"][k] for k in ANSWER_KEYS} != answers[key] for r in results):
                answers[key]["note"] = "runs disagree"

    reference = answers["analyzer"]
    full = {name: a for name, a in answers.items() if name in FULL_MODEL}
    totals_match = all(a.get("note") is None and all(a[k] == reference[k] for k in ANSWER_KEYS)
                       for name, a in full.items()) and len(full) == 3 + ("spark" in full)
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return SizeResult(payments=inputs.payments, rows=rows, fmt=fmt, file_bytes=inputs.size_bytes(fmt),
                      db_bytes=db_bytes, cases=tuple(cases), answers=answers, totals_match=totals_match,
                      targets=targets(cases))


def load_cases(db: Path, work: Path, say: Progress | None) -> list[CaseResult]:
    """The dashboard under load: LOAD_SESSIONS real Streamlit sessions at once over every page of
    `analyzer dashboard` (benchmarks/harness/loadtest.py). One case per page (every session's time
    to the page's script_finished) and one for /_stcore/health polled meanwhile; no target."""
    label = f"dashboard under load: {LOAD_SESSIONS} sessions"
    if say:
        say(f"  {label}")
    try:
        result = _run_worker({"case": "load", "db": str(db), "sessions": LOAD_SESSIONS,
                              "log": str(work / "loadtest-server.log")})
    except CaseFailed as exc:
        return [CaseResult("load", label, status=f"failed: {exc}")]
    load = result["load"]
    cases = [CaseResult(f"load:{page}", f"{label}, page {load['titles'].get(page, page)} (/{page})",
                        views=tuple(xs), runs=(result["seconds"],))
             for page, xs in load["page_seconds"].items()]
    errors = load["errors"]
    status = "ok" if not errors and load["health"]["failed"] == 0 else (
        f"failed: {len(errors)} errors, {load['health']['failed']} health polls failed"
        + (f"; first: {errors[0]}" if errors else ""))
    cases.append(CaseResult("load:health", f"{label}, /_stcore/health meanwhile ({load['sessions_completed']}/"
                            f"{LOAD_SESSIONS} sessions completed every page in {load['seconds']:.0f} s)",
                            status=status, views=tuple(load["health_seconds"]), runs=(result["seconds"],),
                            peak_rss_bytes=None, detail={"errors": errors[:20]}))
    return cases


def targets(cases: Sequence[CaseResult]) -> tuple[Target, ...]:
    by = {c.key: c for c in cases if c.ok}

    def ratio(a: str, b: str) -> float | None:
        return by[a].median / by[b].median if a in by and b in by and by[b].median else None

    e2e = by["ingest"].median + by["analyze"].median if "ingest" in by and "analyze" in by else None

    def speedup(key: str) -> float | None:
        return by[key].median / e2e if key in by and e2e else None

    pages = [c for c in cases if c.key.startswith("dashboard:") and c.ok]
    slowest = max(pages, key=lambda c: c.p95, default=None)
    in_place = "ingest_copy" in by or any(c.key == "ingest_copy" for c in cases)
    return (
        Target("ingest ÷ reference load", ratio("ingest", "reference"),
               INPLACE_VS_REFERENCE if in_place else INGEST_VS_REFERENCE, "max", "x",
               "Parquet read in place" if in_place else "rows copied"),
        *((Target("ingest --copy ÷ reference load", ratio("ingest_copy", "reference"), INGEST_VS_REFERENCE, "max",
                  "x", "rows copied"),) if in_place else ()),
        Target("analyze ÷ raw scan", ratio("analyze", "scan"), ANALYZE_VS_SCAN, "max", "x"),
        Target("pandas ÷ analyzer end to end (ingest + analyze)", speedup("pandas"), SPEEDUP_VS_PANDAS, "min", "x"),
        Target("polars ÷ analyzer end to end (ingest + analyze)", speedup("polars"), SPEEDUP_VS_POLARS, "min", "x"),
        Target("analyze peak RSS", by["analyze"].peak_rss_bytes if "analyze" in by else None, ANALYZE_PEAK_RSS,
               "max", "bytes", "target stated at 50M payments"),
        Target("dashboard p95, slowest page", slowest.p95 if slowest else None, DASHBOARD_P95_S, "max", "s",
               f"page {slowest.key.split(':', 1)[1]}" if slowest else "dashboard not available yet"),
    )


def minimal_ratios(cases: Sequence[CaseResult]) -> dict[str, float | None]:
    """How many times the minimal polars pipeline's time the analyzer takes (no target: the
    minimal pipeline answers a smaller question)."""
    by = {c.key: c for c in cases if c.ok}
    floor = by["polars_minimal"].median if "polars_minimal" in by else None
    if not floor:
        return {"analyze": None, "end to end": None}
    analyze = by["analyze"].median if "analyze" in by else None
    e2e = analyze + by["ingest"].median if analyze is not None and "ingest" in by else None
    return {"analyze": analyze / floor if analyze else None, "end to end": e2e / floor if e2e else None}


def run_bench(*, payments: Sequence[int], fmt: str = "parquet", repeat: int = 3, memory_limit: str | None = None,
              out_dir: Path = Path("benchmarks/results"), data_dir: Path = Path("benchmarks/data"),
              progress: Progress | None = None, keep: bool = False, spark: bool = False) -> BenchResult:
    """Run the benchmark at every size, write latest.md/.json and dated copies into out_dir
    (`spark`: with the case spark local[2], on demand)."""
    if fmt not in ("parquet", "csv"):
        raise UsageError(f"--format must be parquet or csv, not {fmt!r}")
    if repeat < 1:
        raise UsageError("--repeat must be at least 1")
    started = datetime.now(UTC)
    info = machine()
    sizes = []
    for n in payments:
        inputs = prepare(n, Path(data_dir), progress)
        sizes.append(run_size(inputs, fmt=fmt, repeat=repeat, memory_limit=memory_limit,
                              work=Path(data_dir) / f"work-{n}-{fmt}", progress=progress, keep=keep,
                              spark=spark))
    result = BenchResult(started_at=started.isoformat(timespec="seconds"), fmt=fmt, repeat=repeat,
                         memory_limit=memory_limit, machine=info, versions=versions(), sizes=tuple(sizes))
    files = write_results(result, Path(out_dir))
    result = BenchResult(**{**result.__dict__, "files": files})
    bad = [s for s in result.sizes if not s.totals_match]
    if bad:
        raise DataError("the pandas / polars totals differ from the analyzer's at "
                        + ", ".join(f"{s.payments:,} payments" for s in bad)
                        + f" (see {files[0]})")
    return result


def write_results(result: BenchResult, out_dir: Path) -> tuple[Path, ...]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(result.started_at).strftime("%Y-%m-%d-%H%M")
    sizes = "-".join(_short(s.payments) for s in result.sizes)
    stem = f"{stamp}-{result.fmt}-{sizes}"
    text = result.markdown
    data = json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n"
    files = []
    for name in (f"{stem}.md", "latest.md"):
        (out_dir / name).write_text(text, encoding="utf-8")
        files.append(out_dir / name)
    for name in (f"{stem}.json", "latest.json"):
        (out_dir / name).write_text(data, encoding="utf-8")
        files.append(out_dir / name)
    return tuple(files)


def _short(n: int) -> str:
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
    return str(n)
