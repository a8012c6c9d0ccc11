"""The one gateway to DuckDB: connect, load SQL files, run them with bound parameters.

Every query of the library goes through `Database`. SQL text lives in `analyzer/sql/*.sql`;
values always go in as bound parameters. The few identifiers or file paths that must be
spliced into SQL text pass through `quote_ident` / `quote_literal`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from analyzer.errors import DataError, InputError

log = logging.getLogger(__name__)

Params = Sequence[Any] | Mapping[str, Any] | None


@cache
def load_sql(name: str) -> str:
    """The text of `analyzer/sql/<name>.sql`."""
    return resources.files("analyzer").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB (doubling embedded quotes)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Quote a string literal for the few places DuckDB takes no parameter (view bodies)."""
    return "'" + value.replace("'", "''") + "'"


def split_statements(sql: str) -> list[str]:
    """Split a .sql file on semicolons at line ends (our files keep one statement per block)."""
    parts = re.split(r";\s*(?:\n|$)", sql)
    out = []
    for part in parts:
        body = "\n".join(l for l in part.splitlines() if not l.strip().startswith("--")).strip()
        if body:
            out.append(body)
    return out


class Database:
    """A DuckDB file (or `:memory:`), opened read-write or read-only."""

    def __init__(self, path: str | Path, *, read_only: bool = False, memory_limit: str | None = None,
                 threads: int | None = None):
        self.path = str(path)
        if read_only and self.path != ":memory:" and not Path(self.path).exists():
            raise InputError("database file does not exist (run `analyzer ingest` first)", path=self.path)
        config: dict[str, Any] = {}
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads:
            config["threads"] = threads
        try:
            self.con = duckdb.connect(self.path, read_only=read_only, config=config)
        except duckdb.IOException as exc:
            raise InputError(f"cannot open database: {exc}", path=self.path) from exc
        self.read_only = read_only
        # UTC inside: instants fetched into Python come back as UTC datetimes.
        self.con.execute("SET TimeZone = 'UTC'").fetchall()
        # DuckDB's own progress bar would print on stderr even when it is not a terminal;
        # the CLI draws its own (enable_progress) only on a terminal.
        self.con.execute("SET enable_progress_bar = false").fetchall()

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- running SQL -------------------------------------------------------------------
    def execute(self, sql: str, params: Params = None) -> duckdb.DuckDBPyConnection:
        """Run one statement; on failure log the SQL and the parameters, then re-raise."""
        try:
            return self.con.execute(sql, params) if params is not None else self.con.execute(sql)
        except duckdb.Error:
            log.debug("SQL failed:\n%s\nparams=%r", sql, params)
            raise

    def run(self, sql: str, params: Params = None) -> None:
        """Run a statement (or a script of several) for its effect and drain its result."""
        statements = split_statements(sql)
        for statement in statements:
            names = set(re.findall(r"\$([a-z_][a-z0-9_]*)", statement))
            bound = params
            if isinstance(params, Mapping):
                bound = {k: v for k, v in params.items() if k in names}
            self.execute(statement, bound if bound else None).fetchall()

    def run_file(self, name: str, params: Params = None, **idents: str) -> None:
        """Run analyzer/sql/<name>.sql; `idents` fill {{placeholders}} (already quoted text)."""
        self.run(self.sql_text(name, **idents), params)

    @staticmethod
    def sql_text(name: str, **idents: str) -> str:
        text = load_sql(name)
        for key, value in idents.items():
            text = text.replace("{{" + key + "}}", value)
        return text

    def rows(self, sql: str, params: Params = None) -> list[tuple]:
        return self.execute(sql, params).fetchall()

    def one(self, sql: str, params: Params = None) -> tuple | None:
        rows = self.execute(sql, params).fetchall()
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Params = None) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def dicts(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        cur = self.execute(sql, params)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    def polars(self, sql: str, params: Params = None):
        """The result as a polars DataFrame (through Arrow: decimals stay decimals)."""
        try:
            return self.con.sql(sql, params=params).pl()
        except duckdb.Error:
            log.debug("SQL failed:\n%s\nparams=%r", sql, params)
            raise

    def query_file(self, name: str, params: Params = None, **idents: str):
        """Run a one-statement SQL file and return a polars DataFrame."""
        return self.polars(self.sql_text(name, **idents), params)

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
        return bool(self.scalar(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [name]))

    def require_tables(self, *names: str, hint: str) -> None:
        missing = [n for n in names if not self.has_table(n)]
        if missing:
            raise DataError(f"{self.path}: no table {', '.join(missing)} yet; {hint}")

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
