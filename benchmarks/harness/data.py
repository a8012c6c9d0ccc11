"""The benchmark's inputs: the sample incident at a given size, generated once and kept.

Called by `run.py` before any case runs; generation and the Parquet conversion are never timed.
The sample generator (`analyzer.sample.generate`) writes transactions.csv (with its malformed,
duplicated and conflicting rows), the config-change log, the events and the truth. For the
Parquet format, transactions.csv is converted once with DuckDB into typed columns (ts
TIMESTAMPTZ, money DECIMAL(18,2)), as a platform's Parquet export would be. The pandas and
polars pipelines always read that Parquet file. The replay batch is not part of the benchmark:
one transactions file, plus the small config and events files, is what every case reads.

Above LAKE_DAY payments (e.g. 200M) the generator would not fit in memory: the input is then a
hive-partitioned lake, `transactions/dt=YYYY-MM-DD/part-0.parquet`, whose incident day is the
LAKE_DAY sample's Parquet file (hard-linked) and whose earlier days are that day's clean payments
moved back by whole days, under new ids, outside any campaign (no discount): the traffic of the
days before the incident, which a platform's lake holds too. The answer is the incident day's:
the affected payments, users and money of a lake equal those of its LAKE_DAY sample.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from analyzer import sql
from analyzer.sql import quote_literal

SEED = 7
LAKE_DAY = 50_000_000  # payments per day of a lake; a larger size is a lake of such days
DATA_VERSION = 1  # bump when the layout or the conversion changes: cached inputs are rebuilt


SQL_DIR = str(Path(__file__).resolve().parent / "sql")


def statement(name: str, **templates: str) -> str:
    """The one statement of benchmarks/harness/sql/<name>.sql (the library's loader)."""
    return sql.statement(name, SQL_DIR, **templates)


@dataclass(frozen=True)
class Inputs:
    """The files of one size, and what the truth says about them."""

    payments: int
    dir: Path
    csv: Path
    parquet: Path
    config_changes: Path
    events: Path
    rows: int  # data rows of transactions.csv (what ingest reads)
    campaign_id: str
    bad_change_id: str
    fix_change_id: str | None
    tz: str

    lake: Path | None = None  # the lake's directory (then `parquet` is the glob of its files)

    def transactions(self, fmt: str) -> Path:
        return self.parquet if fmt == "parquet" else self.csv

    def input_name(self, fmt: str) -> str:
        """The input as the results name it."""
        if self.lake is not None and fmt == "parquet":
            days = sum(1 for _ in self.lake.glob("dt=*"))
            return f"a hive-partitioned lake of {days} days, dt=*/part-0.parquet"
        return self.transactions(fmt).name

    def pipeline_input(self) -> Path:
        """What the pandas and polars pipelines read: the Parquet file, or the lake's directory."""
        return self.lake or self.parquet

    def size_bytes(self, fmt: str) -> int:
        if self.lake is not None and fmt == "parquet":
            return sum(f.stat().st_size for f in self.lake.rglob("*.parquet"))
        return self.transactions(fmt).stat().st_size


def prepare(payments: int, data_dir: Path, progress=None, *, sample: Path | None = None) -> Inputs:
    """Generate (or reuse) the sample of `payments` payments under data_dir, with its Parquet copy.
    `sample`: a directory `analyzer sample` already wrote with this seed and size, copied instead
    of generating it again (the tests share one sample)."""
    from analyzer.sample import generate

    if payments > LAKE_DAY:
        return prepare_lake(payments, data_dir, progress, sample=sample)
    out = Path(data_dir) / f"sample-{payments}-seed{SEED}"
    meta = _kept(out)
    if meta is None:
        if progress:
            progress(f"generating {payments:,} payments into {out} (not timed)")
        if sample is not None:
            shutil.copytree(sample, out, ignore=shutil.ignore_patterns("transactions_replay.jsonl"))
        else:
            generate(out, seed=SEED, payments=payments).transactions_replay.unlink()  # not a benchmark input
        accounting = json.loads((out / "truth" / "summary.json").read_text(encoding="utf-8"))["row_accounting"]
        rows = accounting["files"]["transactions.csv"]["rows_read"]
        if progress:
            progress(f"converting {out / 'transactions.csv'} to Parquet (not timed)")
        _to_parquet(out / "transactions.csv", out / "transactions.parquet")
        meta = _keep(out, {"payments": payments, "rows": rows})
    truth = json.loads((out / "truth" / "summary.json").read_text(encoding="utf-8"))
    return Inputs(payments=payments, dir=out, csv=out / "transactions.csv", parquet=out / "transactions.parquet",
                  config_changes=out / "config_changes.jsonl", events=out / "events.csv", rows=int(meta["rows"]),
                  campaign_id=truth["campaign_id"], bad_change_id=truth["bad_change_id"],
                  fix_change_id=truth.get("fix_change_id"), tz=truth["tz"])


def prepare_lake(payments: int, data_dir: Path, progress=None, *, sample: Path | None = None) -> Inputs:
    """A lake of `payments` payments: the LAKE_DAY sample as its incident day, and as many earlier
    days of ordinary payments (benchmarks/harness/sql/quiet_day.sql) as make up the size."""
    day = prepare(LAKE_DAY, data_dir, progress, sample=sample)
    out = Path(data_dir) / f"lake-{payments}-seed{SEED}"
    meta = _kept(out)
    if meta is None:
        incident = out / "transactions" / "dt=2025-01-16"
        incident.mkdir(parents=True)
        os.link(day.parquet, incident / "part-0.parquet")  # the same bytes, no copy
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'").fetchall()
            # the rows of the Parquet files (the CSV's unsplittable line is not in the day's)
            rows, back = con.execute("SELECT count(*) FROM read_parquet($p)", {"p": str(day.parquet)}).fetchall()[0][0], 0
            while rows < payments:
                back += 1
                target = out / "transactions" / f"dt=2025-01-{16 - back:02d}" / "part-0.parquet"
                target.parent.mkdir()
                if progress:
                    progress(f"writing {target} (not timed)")
                want = payments - rows
                con.execute(statement("quiet_day", parquet=quote_literal(str(target))),
                            {"day": str(day.parquet), "back": back, "limit": want}).fetchall()
                rows += con.execute("SELECT count(*) FROM read_parquet($p)", {"p": str(target)}).fetchall()[0][0]
        finally:
            con.close()
        meta = _keep(out, {"payments": payments, "rows": rows, "day": LAKE_DAY})
    return dataclasses.replace(day, payments=payments, dir=out, parquet=out / "transactions" / "*" / "*.parquet",
                               rows=int(meta["rows"]), lake=out / "transactions")


def _kept(out: Path) -> dict | None:
    """The marker of inputs generated earlier with this layout, else None (and `out` emptied)."""
    marker = out / "bench.json"
    meta = json.loads(marker.read_text()) if marker.exists() else None
    if meta is not None and meta.get("data_version") == DATA_VERSION:
        return meta
    if out.exists():
        shutil.rmtree(out)
    return None


def _keep(out: Path, meta: dict) -> dict:
    """Mark `out` complete: later runs reuse it."""
    meta = {"data_version": DATA_VERSION, "seed": SEED, **meta}
    (out / "bench.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def _to_parquet(csv: Path, parquet: Path) -> None:
    tmp = parquet.with_suffix(".parquet.tmp")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'").fetchall()
        query = statement("to_parquet", parquet=quote_literal(str(tmp)))
        con.execute(query, {"csv": str(csv)}).fetchall()
    finally:
        con.close()
    tmp.replace(parquet)
