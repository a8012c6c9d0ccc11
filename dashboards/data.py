"""The dashboard's data: one cached read-only connection per database, cached queries, and the
settings every page shares (which database, which zone, masked or not).

Pages call the functions here and never touch SQL; the queries themselves are
`analyzer.serve.queries` (testable without Streamlit). A DuckDB connection is not safe to use from
two threads at once and Streamlit runs each session (and every deferred download) in its own
thread, so each query holds the connection's lock; cached results make that cheap.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from analyzer.serve import queries
from analyzer.db import Database
from analyzer.formatting import duration, money

DB_ENV = "ANALYZER_DB"


# --- which database --------------------------------------------------------------------------
def db_path_from_args(argv: list[str] | None = None) -> str | None:
    """`streamlit run dashboards/app.py -- --db FILE`, else the environment's ANALYZER_DB."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--db", default=None)
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    path = args.db or os.environ.get(DB_ENV)
    return str(Path(path).resolve()) if path else None


@dataclass
class _Shared:
    db: Database
    lock: threading.Lock
    healthy: bool = False  # checked once: an open read-only database cannot lose its tables


@st.cache_resource(show_spinner=False)
def _shared(path: str) -> _Shared:
    return _Shared(queries.open_database(path), threading.Lock())


def run(path: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call `fn(db, *args, **kwargs)` on the shared read-only connection of `path`."""
    shared = _shared(path)
    with shared.lock:
        return fn(shared.db, *args, **kwargs)


def problem(path: str | None) -> queries.Problem | None:
    """Why the dashboard cannot show this database (None when it can)."""
    if not path:
        return queries.open_problem(path)
    try:
        shared = _shared(path)
    except Exception as exc:  # missing, not DuckDB, locked by a writer: a page, not a traceback
        return queries.open_problem(path, exc)
    if shared.healthy:
        return None
    with shared.lock:
        try:
            found = queries.problem(shared.db)
        except Exception as exc:
            return queries.open_problem(path, exc)
    shared.healthy = found is None
    return found


# --- the settings of the session --------------------------------------------------------------
@dataclass(frozen=True)
class Context:
    path: str
    tz: str
    mask: bool
    summary: dict[str, Any]


def set_context(ctx: Context) -> None:
    st.session_state["_context"] = ctx


def context() -> Context:
    return st.session_state["_context"]


# --- cached queries ----------------------------------------------------------------------------
@st.cache_data(show_spinner=False)
def summary(path: str) -> dict[str, Any]:
    return run(path, queries.summary)


@st.cache_data(show_spinner=False)
def bad_change(path: str, change_id: str | None) -> dict[str, Any] | None:
    return run(path, queries.bad_change, change_id)


@st.cache_data(show_spinner=False)
def minute_metrics(path: str) -> pl.DataFrame:
    return run(path, queries.minute_metrics)


@st.cache_data(show_spinner=False)
def second_metrics(path: str) -> pl.DataFrame:
    return run(path, queries.second_metrics)


@st.cache_data(show_spinner=False)
def timeline_figure(path: str, tz: str) -> Any:
    """The Timeline page's figure (analyzer.charts.timeline_figure), built once per zone."""
    from analyzer.charts import timeline_figure as build

    return build(minute_metrics(path), second_metrics(path), timeline(path), summary(path), tz)


@st.cache_data(show_spinner=False)
def timeline(path: str, start: datetime | None = None, end: datetime | None = None) -> pl.DataFrame:
    return run(path, queries.timeline, start, end)


@st.cache_data(show_spinner=False)
def range_totals(path: str, start: datetime, end: datetime) -> dict[str, Any]:
    return run(path, queries.range_totals, start, end)


@st.cache_data(show_spinner=False)
def range_payments(path: str, start: datetime, end: datetime, limit: int, offset: int, mask: bool) -> pl.DataFrame:
    return run(path, queries.range_payments, start, end, limit=limit, offset=offset, mask=mask)


def user_filters(search: str | None, scenes: tuple[str, ...], min_excess: str | None, exploit: bool | None,
                 refunded: bool | None) -> queries.UserFilters:
    return queries.UserFilters(search=search or None, scenes=tuple(scenes),
                              min_excess=Decimal(min_excess) if min_excess not in (None, "") else None,
                              exploit=exploit, refunded=refunded)


# Filters travel as plain values (hashable, the cache key); min_excess as decimal text.
@st.cache_data(show_spinner=False)
def affected_users_page(path: str, search: str | None, scenes: tuple[str, ...], min_excess: str | None,
                        exploit: bool | None, refunded: bool | None, sort: str, descending: bool, limit: int,
                        offset: int, mask: bool) -> pl.DataFrame:
    return run(path, queries.affected_users_page, user_filters(search, scenes, min_excess, exploit, refunded),
               sort=sort, descending=descending, limit=limit, offset=offset, mask=mask)


@st.cache_data(show_spinner=False)
def affected_users_totals(path: str, search: str | None, scenes: tuple[str, ...], min_excess: str | None,
                          exploit: bool | None, refunded: bool | None, mask: bool) -> dict[str, Any]:
    return run(path, queries.affected_users_totals, user_filters(search, scenes, min_excess, exploit, refunded),
               mask=mask)


@st.cache_data(show_spinner=False)
def user_payments(path: str, user: str, mask: bool) -> pl.DataFrame:
    return run(path, queries.user_payments, user, mask=mask)


def download(path: str, kind: str, filters: queries.UserFilters, mask: bool, tz: str) -> bytes:
    """The filtered affected users as CSV or Excel bytes (written by the library, then read back)."""
    writer = {"csv": queries.write_affected_users_csv, "xlsx": queries.write_affected_users_xlsx}[kind]
    with tempfile.TemporaryDirectory(prefix="analyzer-download-") as tmp:
        target = Path(tmp) / f"affected_users.{kind}"
        run(path, writer, target, filters, mask=mask, tz=tz)
        return target.read_bytes()


@st.cache_data(show_spinner=False)
def scenes(path: str) -> pl.DataFrame:
    return run(path, queries.scenes)


@st.cache_data(show_spinner=False)
def merchants_page(path: str, search: str | None, limit: int, offset: int, mask: bool) -> pl.DataFrame:
    return run(path, queries.merchants_page, search, limit=limit, offset=offset, mask=mask)


@st.cache_data(show_spinner=False)
def config_changes(path: str) -> pl.DataFrame:
    return run(path, queries.config_changes)


@st.cache_data(show_spinner=False)
def change_impact(path: str) -> pl.DataFrame:
    return run(path, queries.change_impact)


@st.cache_data(show_spinner=False)
def manifest(path: str) -> pl.DataFrame:
    return run(path, queries.manifest)


@st.cache_data(show_spinner=False)
def rejects_by_reason(path: str) -> pl.DataFrame:
    return run(path, queries.rejects_by_reason)


@st.cache_data(show_spinner=False)
def reject_examples(path: str, per_reason: int, mask: bool) -> pl.DataFrame:
    return run(path, queries.reject_examples, per_reason, mask=mask)


@st.cache_data(show_spinner=False)
def disputed(path: str) -> pl.DataFrame:
    return run(path, queries.disputed)


# --- how a frame is shown ----------------------------------------------------------------------
# Integer columns that are identifiers or positions, shown without a thousands separator.
PLAIN_INTEGERS = {"ordinal", "rank", "file_id", "line", "kept_line", "conflicting_line", "version_seq"}

def shown(df: pl.DataFrame, tz: str, *, durations: tuple[str, ...] = (),
          labels: dict[str, str] | None = None) -> tuple[pl.DataFrame, dict[str, Any]]:
    """A frame ready for `st.dataframe`, and its column config.

    Money (Decimal) becomes exact text ('4,761,914.07'), never a float; instants become text in
    `tz` with the offset; lists become 'a, b'; the `durations` columns (seconds) become '4m 59.9s'.
    Numbers and money are right-aligned.
    """
    exprs = []
    config: dict[str, Any] = {}
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Decimal):
            exprs.append(col.map_elements(money, return_dtype=pl.String, skip_nulls=True))
            config[name] = st.column_config.TextColumn(alignment="right")
        elif isinstance(dtype, pl.Datetime):
            if dtype.time_zone is None:
                col = col.dt.replace_time_zone("UTC")
            exprs.append(col.dt.convert_time_zone(tz).dt.strftime("%Y-%m-%d %H:%M:%S%.3f %:z"))
        elif isinstance(dtype, pl.List):
            exprs.append(col.cast(pl.List(pl.String)).list.join(", "))
        elif name in durations:
            exprs.append(col.map_elements(duration, return_dtype=pl.String, skip_nulls=True))
            config[name] = st.column_config.TextColumn(alignment="right")
        else:
            exprs.append(col)
            if dtype.is_integer() and name not in PLAIN_INTEGERS:
                config[name] = st.column_config.NumberColumn(format="localized")
    out = df.select(exprs) if exprs else df
    for name, label in (labels or {}).items():
        if name in out.columns:
            config[name] = st.column_config.Column(label) if name not in config else _relabel(config[name], label)
    return out, config


def table(df: pl.DataFrame, tz: str, *, key: str | None = None, durations: tuple[str, ...] = (),
          labels: dict[str, str] | None = None, where: Any = None, column_config: dict[str, Any] | None = None,
          **kwargs: Any) -> Any:
    """Show a frame (see `shown`) as a full-width table without the index; returns st.dataframe's value."""
    frame, config = shown(df, tz, durations=durations, labels=labels)
    config.update(column_config or {})
    return (where or st).dataframe(frame, hide_index=True, width="stretch", column_config=config, key=key,
                                   placeholder="-", **kwargs)


def _relabel(column_config: Any, label: str) -> Any:
    column_config = dict(column_config)
    column_config["label"] = label
    return column_config


def show_problem(p: queries.Problem) -> None:
    st.title("Incident analyzer")
    st.error(f"**{p.title}.** {p.message}")
    st.markdown("Run this, then reload the page:")
    st.code(p.command, language="sh")
