"""The one gateway to DuckDB: connect, load SQL files, run them with bound parameters.

Every query of the library goes through `Database`. SQL text lives in `analyzer/sql/*.sql`;
values always go in as bound parameters. The few identifiers or file paths that must be
spliced into SQL text pass through `quote_ident` / `quote_literal`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from analyzer import sql
from analyzer.errors import DataError, InputError
from analyzer.sql import Params

log = logging.getLogger(__name__)


class Database:
    """A DuckDB file (or `:memory:`), opened read-write or read-only.

    `path` is the file as the user named it (messages name it); `open_path`, when given, is the
    name it is opened under (a generation's private link, analyzer/store.py)."""

    def __init__(self, path: str | Path, *, read_only: bool = False, memory_limit: str | None = None,
                 threads: int | None = None, open_path: str | Path | None = None,
                 _connection: duckdb.DuckDBPyConnection | None = None):
        self.path = str(path)
        self.read_only = read_only
        self.memory_limit = memory_limit  # as opened (memory_limited puts it back)
        if _connection is not None:
            self.con = _connection
        else:
            target = str(open_path or path)
            if read_only and target != ":memory:" and not Path(target).exists():
                raise InputError("database file does not exist (run `analyzer ingest` first)", path=self.path)
            config: dict[str, Any] = {}
            if memory_limit:
                config["memory_limit"] = memory_limit
            if threads:
                config["threads"] = threads
            try:
                self.con = duckdb.connect(target, read_only=read_only, config=config)
            except duckdb.Error as exc:
                raise InputError(f"cannot open as a DuckDB database: {first_line(exc)}", path=self.path) from exc
        # UTC inside: instants fetched into Python come back as UTC datetimes.
        self.con.execute("SET TimeZone = 'UTC'").fetchall()
        # DuckDB's own progress bar would print on stderr even when it is not a terminal;
        # the CLI draws its own (enable_progress) only on a terminal.
        self.con.execute("SET enable_progress_bar = false").fetchall()

    def cursor(self) -> Database:
        """Another connection to the same open database, for another thread: DuckDB runs
        cursors of one database in parallel, while one connection serves one statement at a time."""
        return Database(self.path, read_only=self.read_only, _connection=self.con.cursor())

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- running SQL -------------------------------------------------------------------
    def execute(self, sql_text: str, params: Params = None) -> duckdb.DuckDBPyConnection:
        """Run one statement (with the parameters it names); on failure log the SQL and the
        parameters, then re-raise."""
        bound = sql.bind(sql_text, params)
        try:
            return self.con.execute(sql_text, bound) if bound is not None else self.con.execute(sql_text)
        except duckdb.Error:
            log.debug("SQL failed:\n%s\nparams=%r", sql_text, bound)
            raise

    def run(self, script: str | list[str], params: Params = None) -> None:
        """Run a statement or a script of several for its effect, draining each result."""
        for statement in sql.split(script) if isinstance(script, str) else script:
            self.execute(statement, params).fetchall()

    def run_file(self, name: str, params: Params = None, **templates: sql.Template) -> None:
        """Run analyzer/sql/<name>.sql; `templates` fill its {{placeholders}}."""
        self.run(sql.script(name, **templates), params)

    def query_file(self, name: str, params: Params = None, **templates: sql.Template):
        """The one statement of analyzer/sql/<name>.sql as a polars DataFrame."""
        return self.polars(sql.statement(name, **templates), params)

    def dicts_file(self, name: str, params: Params = None, **templates: sql.Template) -> list[dict[str, Any]]:
        """The one statement of analyzer/sql/<name>.sql as a list of dicts."""
        return self.dicts(sql.statement(name, **templates), params)

    def rows(self, sql_text: str, params: Params = None) -> list[tuple]:
        return self.execute(sql_text, params).fetchall()

    def one(self, sql_text: str, params: Params = None) -> tuple | None:
        rows = self.execute(sql_text, params).fetchall()
        return rows[0] if rows else None

    def scalar(self, sql_text: str, params: Params = None) -> Any:
        row = self.one(sql_text, params)
        return None if row is None else row[0]

    def dicts(self, sql_text: str, params: Params = None) -> list[dict[str, Any]]:
        cur = self.execute(sql_text, params)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    def polars(self, sql_text: str, params: Params = None):
        """The result as a polars DataFrame (through Arrow: decimals stay decimals)."""
        bound = sql.bind(sql_text, params)
        try:
            return self.con.sql(sql_text, params=bound).pl()
        except duckdb.Error:
            log.debug("SQL failed:\n%s\nparams=%r", sql_text, bound)
            raise

    def register(self, name: str, frame: Any) -> None:
        """Make a DataFrame (polars / Arrow) queryable as the view `name` on this connection
        (for data that lives outside the database, e.g. the reviewers' notes)."""
        self.con.register(name, frame)

    def enable_progress(self) -> None:
        """Let `query_progress()` report the running statement's progress (for a progress bar)."""
        for setting in ("SET enable_progress_bar = true", "SET enable_progress_bar_print = false",
                        "SET progress_bar_time = 0"):
            self.execute(setting).fetchall()

    def query_progress(self) -> float:
        """Percent done of the statement running now on another thread, or -1."""
        return self.con.query_progress()

    # --- helpers -----------------------------------------------------------------------
    def has_table(self, name: str) -> bool:
        """A table or view of that name on this connection's search path (the chosen analysis,
        then main; analyzer/analysis/labels.py), temporary ones aside. Looked up in the catalog:
        a failed query would abort the transaction it runs in."""
        return name in self.existing_tables([name])

    def existing_tables(self, names: Sequence[str]) -> set[str]:
        """Which of `names` has_table finds, in one catalog query (a page checks twenty)."""
        return {r[0] for r in self.rows("""
            SELECT DISTINCT name FROM (SELECT schema_name, table_name AS name FROM duckdb_tables() WHERE NOT temporary
                                       UNION ALL
                                       SELECT schema_name, view_name FROM duckdb_views() WHERE NOT temporary)
            WHERE list_contains(?, name) AND list_contains(current_schemas(true), schema_name)""", [list(names)])}

    def require_tables(self, *names: str, hint: str) -> None:
        missing = [n for n in names if not self.has_table(n)]
        if missing:
            raise DataError(f"{self.path}: no table {', '.join(missing)} yet; {hint}")

    @contextmanager
    def memory_limited(self, limit: str | None) -> Iterator[None]:
        """DuckDB's memory limit for the block (spilling to disk beyond it), then the one the
        database was opened with (or DuckDB's default) back; None keeps the connection's own.
        ingest and analyze run under one by default."""
        if not limit:
            yield
            return
        self.run_file("analysis/memory_limit", {"memory_limit": limit})
        try:
            yield
        finally:
            # the limit as opened, exactly (DuckDB shows a limit rounded: 2.7 GiB reads back as 2.6)
            if self.memory_limit:
                self.run_file("analysis/memory_limit", {"memory_limit": self.memory_limit})
            else:
                self.execute("RESET memory_limit").fetchall()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: a failure (or a kill) leaves the database as it was before."""
        self.execute("BEGIN TRANSACTION").fetchall()
        try:
            yield
        except BaseException:
            self.execute("ROLLBACK").fetchall()
            raise
        self.execute("COMMIT").fetchall()


def first_line(exc: BaseException) -> str:
    """The first line of an error's text (DuckDB's messages run on with hints and context)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
