"""Where the payments are analysed: the `Engine` seam, with a DuckDB and a Spark implementation.

An engine connects, runs a named statement of analyzer/sql with bound parameters, reads a table
(as Arrow), writes one (from Arrow), and has transactions where the engine has them. DuckDB
(the default) is `Database` itself. Spark reads the payments from Parquet (files, directories,
hive partitions) or a table of its catalog and runs the statements that read them; the small
inputs (config log, disputes) are copied in, the results copied back (analysis/pipeline.py).

The SQL is the same files in both dialects (analyzer/sql.py: dialect templates, and a file of
its own under analyzer/sql/spark/ for the few statements that must differ).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from analyzer import sql
from analyzer.db import Database, first_line
from analyzer.errors import DataError, UnavailableError, UsageError
from analyzer.sql import Params

ENGINES = ("duckdb", "spark")
SPARK_INSTALL_HINT = "pip install 'incident-analyzer[spark]' (or `uv sync --extra spark`)"
# set in the Python driver spark-submit starts (the port of the JVM it launched)
SUBMITTED = "PYSPARK_GATEWAY_PORT"
# a master that answers no TCP connection within this long is unreachable (Spark itself retries for minutes)
CONNECT_TIMEOUT_S = 5.0
_CTAS = re.compile(r"^CREATE\s+OR\s+REPLACE\s+(?:TEMP\s+)?TABLE\s+([A-Za-z_][A-Za-z0-9_]*)\s+AS\s+(.*)$",
                   re.DOTALL | re.IGNORECASE)
_VIEW = re.compile(r"^CREATE\s+OR\s+REPLACE\s+TEMP(?:ORARY)?\s+VIEW\s+([A-Za-z_][A-Za-z0-9_]*)\s+AS\s+(.*)$",
                   re.DOTALL | re.IGNORECASE)
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
# the name of a run directory (SparkEngine.workdir): nothing else under --spark-dir is removed
_RUN_DIR = re.compile(r"^[0-9a-f]{12}$")


class Engine(Protocol):
    dialect: str

    def run_file(self, name: str, params: Params = None, **templates: sql.Template) -> None: ...
    def dicts_file(self, name: str, params: Params = None, **templates: sql.Template) -> list[dict[str, Any]]: ...
    def dicts(self, sql_text: str, params: Params = None) -> list[dict[str, Any]]: ...
    def scalar(self, sql_text: str, params: Params = None) -> Any: ...
    def read_table(self, name: str, exclude: tuple[str, ...] = ()) -> Any: ...
    def write_table(self, name: str, table: Any, *, temp: bool = False) -> None: ...
    def transaction(self): ...


class DuckDBEngine:
    """The embedded default: every statement on the one DuckDB file."""

    dialect = "duckdb"

    def __init__(self, db: Database):
        self.db = db

    def run_file(self, name: str, params: Params = None, **templates: sql.Template) -> None:
        self.db.run_file(name, params, **templates)

    def dicts_file(self, name: str, params: Params = None, **templates: sql.Template) -> list[dict[str, Any]]:
        return self.db.dicts_file(name, params, **templates)

    def dicts(self, sql_text: str, params: Params = None) -> list[dict[str, Any]]:
        return self.db.dicts(sql_text, params)

    def scalar(self, sql_text: str, params: Params = None) -> Any:
        return self.db.scalar(sql_text, params)

    def read_table(self, name: str, exclude: tuple[str, ...] = ()):
        """The table as an Arrow table (less the `exclude` columns)."""
        columns = f" EXCLUDE ({', '.join(map(sql.quote_ident, exclude))})" if exclude else ""
        return self.db.con.sql(f"SELECT *{columns} FROM {sql.quote_ident(name)}").to_arrow_table()

    def write_table(self, name: str, table: Any, *, temp: bool = False, order_by: str | None = None) -> None:
        """Replace the table `name` with an Arrow table's rows (in the current schema)."""
        self.db.register("engine_incoming", table)
        try:
            self.db.run_file("engine/write_table", table=sql.quote_ident(name), temp="TEMP" if temp else "",
                             order_by=f"ORDER BY {order_by}" if order_by else "")
        finally:
            self.db.con.unregister("engine_incoming")

    def transaction(self):
        return self.db.transaction()


def spark_available() -> str | None:
    """Why a local Spark cannot start here (PySpark or Java missing), or None."""
    try:
        with warnings.catch_warnings():
            # PySpark warns about pandas 3 on import; the analysis passes no pandas through it
            warnings.simplefilter("ignore", FutureWarning)
            import pyspark.sql  # noqa: F401
    except ImportError:
        return f"PySpark is not installed: {SPARK_INSTALL_HINT}"
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and Path(java_home, "bin", "java").exists()) and shutil.which("java") is None:
        return "no Java found (Spark needs Java 17: install it, e.g. `apt-get install openjdk-17-jre-headless`, or set JAVA_HOME)"
    return None


def check_reachable(url: str, default_port: int) -> None:
    """Fail at once, in one line, when a master's host:port takes no connection."""
    parsed = urlparse(url)
    host, port = parsed.hostname, parsed.port or default_port
    if not host:
        raise UsageError(f"{url}: not a Spark master URL (spark://HOST:PORT or sc://HOST:PORT)")
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        raise UnavailableError(f"cannot reach the Spark master {url}: {exc.strerror or exc}") from exc


def spark_session(master: str | None = None, remote: str | None = None):
    """A Spark session (the running one when there is one): local[2] unless told otherwise,
    `spark://HOST:7077` (standalone cluster) or `remote` `sc://HOST:15002` (Spark Connect);
    under spark-submit, and no master named, the one spark-submit configured.
    Instants are UTC (spark.sql.session.timeZone); Parquet instants are written as
    UTC-adjusted microseconds (what DuckDB reads as TIMESTAMPTZ)."""
    if master and remote:
        raise UsageError("--spark-master and --spark-remote: give one")
    # PySpark warns about pandas 3 on its imports; the analysis passes no pandas through it
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"pyspark\..*")
    if remote:
        if not remote.startswith("sc://"):
            raise UsageError(f"--spark-remote {remote}: a Spark Connect URL is sc://HOST:PORT")
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise UnavailableError(f"PySpark is not installed: {SPARK_INSTALL_HINT}") from exc
        check_reachable(remote, 15002)
        builder = SparkSession.builder.remote(remote)
    elif master is None and SUBMITTED in os.environ:
        # launched by spark-submit: its --master and --conf decide (a cluster run, README)
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.appName("incident-analyzer").config("spark.ui.showConsoleProgress", "false")
        master = "spark-submit"
    else:
        master = master or "local[2]"
        if not (master.startswith("local") or master.startswith("spark://")):
            raise UsageError(f"--spark-master {master}: local[N] or spark://HOST:PORT")
        if (why := spark_available()) is not None:
            raise UnavailableError(why)
        if master.startswith("spark://"):
            check_reachable(master, 7077)
        from pyspark.sql import SparkSession

        log4j = Path(__file__).with_name("spark_log4j2.properties")
        builder = (SparkSession.builder.master(master).appName("incident-analyzer")
                   .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log4j}"))
        if master.startswith("local"):
            # a local run binds the driver to loopback: no network interface needed (or exposed)
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            builder = (builder.config("spark.driver.host", "127.0.0.1")
                       .config("spark.driver.bindAddress", "127.0.0.1")
                       .config("spark.ui.enabled", "false")
                       .config("spark.sql.shuffle.partitions", "8"))
        builder = builder.config("spark.ui.showConsoleProgress", "false")
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM or the master refused: one line, not a Java stack
        raise UnavailableError(f"cannot start a Spark session ({remote or master}): {first_line(exc)}") from exc
    for key, value in (("spark.sql.session.timeZone", "UTC"),
                       ("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")):
        session.conf.set(key, value)
    if not remote:
        session.sparkContext.setLogLevel("ERROR")
    return session


class SparkEngine:
    """The payments on Spark. Every `CREATE OR REPLACE [TEMP] TABLE x AS ...` of a statement file
    is written as Parquet under `workdir` and read back as the temporary view `x`, so the next
    statements read the result once computed, and the large ones can be handed to DuckDB as
    Parquet; a `CREATE OR REPLACE TEMP VIEW x AS ...` with parameters is the view of the query
    with them bound. `workdir` must be reachable by every executor (a shared file system on a cluster)."""

    dialect = "spark"

    def __init__(self, session, workdir: str | Path):
        self.spark = session
        self.workdir = Path(workdir) / uuid.uuid4().hex[:12]
        self.tables: dict[str, Path] = {}

    # --- the payments -------------------------------------------------------------------
    def load_transactions(self, source: str) -> None:
        """`raw_transactions` and `transactions`: Parquet (a file, a directory, hive partitions,
        a glob) or a table of the Spark catalog."""
        try:
            if "/" in source or source.endswith(".parquet") or Path(source).exists():
                frame = self.spark.read.parquet(source)
            else:
                frame = self.spark.table(source)
        except Exception as exc:
            raise DataError(f"{source}: cannot read the transactions on Spark: {first_line(exc)}") from exc
        frame.createOrReplaceTempView("raw_transactions")
        frame.createOrReplaceTempView("transactions")

    # --- statements ---------------------------------------------------------------------
    def _sql(self, text: str, params: Params):
        bound = sql.bind(text, params)
        # Spark names its parameter markers :name
        return self.spark.sql(_PARAM.sub(r":\1", text), args=dict(bound) if bound else None)

    def run_file(self, name: str, params: Params = None, **templates: sql.Template) -> None:
        for statement in sql.script(name, dialect=self.dialect, **templates):
            if (m := _CTAS.match(statement)) is not None:
                self._materialize(m.group(1), self._sql(m.group(2), params))
            elif (m := _VIEW.match(statement)) is not None and sql.parameters(m.group(2)):
                # Spark's SQL views take no parameter markers: the view of the query with its
                # parameters bound (analysis/priced_transactions.sql)
                self._sql(m.group(2), params).createOrReplaceTempView(m.group(1))
            else:
                self._sql(statement, params).collect()

    def _materialize(self, name: str, frame) -> None:
        path = self.workdir / name
        frame.write.mode("overwrite").parquet(str(path))
        self.spark.read.parquet(str(path)).createOrReplaceTempView(name)
        self.tables[name] = path

    def dicts_file(self, name: str, params: Params = None, **templates: sql.Template) -> list[dict[str, Any]]:
        return self.dicts(sql.statement(name, dialect=self.dialect, **templates), params)

    def dicts(self, sql_text: str, params: Params = None) -> list[dict[str, Any]]:
        return [row.asDict() for row in self._sql(sql_text, params).collect()]

    def scalar(self, sql_text: str, params: Params = None) -> Any:
        rows = self._sql(sql_text, params).collect()
        return rows[0][0] if rows else None

    def read_table(self, name: str, exclude: tuple[str, ...] = ()):
        frame = self.spark.table(name)
        return frame.drop(*exclude).toArrow() if exclude else frame.toArrow()

    def write_table(self, name: str, table: Any, *, temp: bool = True) -> None:
        """A small Arrow table as the temporary view `name` (an empty one keeps its columns:
        Spark Connect infers none from no rows)."""
        if table.num_rows == 0:
            from pyspark.sql.pandas.types import from_arrow_schema

            frame = self.spark.createDataFrame([], schema=from_arrow_schema(table.schema))
        else:
            frame = self.spark.createDataFrame(table)
        frame.createOrReplaceTempView(name)

    def parquet_path(self, name: str) -> Path:
        """Where the materialized table `name` is (Parquet files)."""
        return self.tables[name]

    def drop_scratch(self, keep: tuple[str, ...]) -> None:
        """Remove the Parquet of the materialized tables, except `keep` (handed to DuckDB), and
        the run directory when nothing is kept."""
        for name, path in list(self.tables.items()):
            if name not in keep:
                shutil.rmtree(path, ignore_errors=True)
        if not keep:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def transaction(self):
        # Spark has no transactions: the DuckDB file's transaction (analyze) is the atomic step
        return nullcontext()


@contextmanager
def payments_engine(db: Database, engine: str = "duckdb", *, master: str | None = None,
                    remote: str | None = None, transactions: str | None = None,
                    workdir: str | Path | None = None) -> Iterator[Engine]:
    """The engine that analyses the payments of `db`: DuckDB itself, or a Spark session with the
    payments from `transactions` (Parquet or a catalog table; default: the database's own
    payments exported once to Parquet, analysis/export_transactions.sql). Spark's run
    directories and the export go under `workdir` (--spark-dir; default beside the database),
    where the run directories of earlier analyses are removed first (stale_runs)."""
    if engine == "duckdb":
        if master or remote or transactions or workdir:
            raise UsageError("--spark-master, --spark-remote, --spark-transactions and --spark-dir need --engine spark")
        yield DuckDBEngine(db)
        return
    if engine != "spark":
        raise UsageError(f"--engine {engine}: one of {', '.join(ENGINES)}")
    base = Path(os.path.abspath(workdir)) if workdir else spark_dir(db.path)
    if base.exists() and not base.is_dir():
        raise UsageError(f"--spark-dir {workdir}: not a directory")
    session = spark_session(master, remote)
    try:
        spark = SparkEngine(session, base)
        for stale in stale_runs(db, base):
            shutil.rmtree(stale, ignore_errors=True)
        spark.load_transactions(transactions or str(export_transactions(db, base)))
        try:
            yield spark
        finally:
            spark.drop_scratch(keep=())
    finally:
        if remote:  # a Connect server keeps a session (and its views) for an hour unless released
            session.stop()


def spark_dir(db_path: str) -> Path:
    """The directory beside the database where Spark's results (and the exported payments) go
    unless --spark-dir says otherwise."""
    return Path(os.path.abspath(db_path + ".spark"))


def stale_runs(db: Database, base: Path) -> list[Path]:
    """The run directories under `base` left by earlier analyses (a run that crashed or was
    killed leaves its Parquet behind), except any a view of the database still reads."""
    if not base.is_dir():
        return []
    views = "\n".join(r["sql"] for r in db.dicts_file("engine/view_texts"))
    return sorted(run for run in base.iterdir()
                  if run.is_dir() and _RUN_DIR.match(run.name) and str(run) not in views)


def export_transactions(db: Database, base: Path | None = None) -> Path:
    """The database's payments as Parquet under `base` (default beside the database), written
    once per state of the inputs (the fingerprint of the files ingested): every ingested database
    can be analysed on Spark."""
    db.run_file("analysis/inputs_state")
    fingerprint = db.scalar("SELECT fingerprint FROM main.inputs_now")
    target = (base or spark_dir(db.path)) / f"transactions-{fingerprint[:16]}.parquet"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        for stale in target.parent.glob("transactions-*.parquet"):
            stale.unlink()
        partial = target.with_suffix(".partial")
        db.run_file("analysis/export_transactions", path=sql.quote_literal(str(partial)))
        partial.rename(target)
    return target
