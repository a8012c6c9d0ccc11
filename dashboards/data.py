"""The dashboard's data: which database generation a page reads, the cached queries, and how a
frame is shown.

Pages call the functions here and never touch SQL; the queries themselves are
`analyzer.serve.queries` (testable without Streamlit). Each script run reads one generation of the
database file (analyzer/store.py): the one current when the run started, so a page never mixes
two analyses, and `analyzer ingest` / `analyze` can write the next generation meanwhile. Every
query runs on a cursor of its own (DuckDB runs cursors in parallel), so sessions do not wait for
each other, and nothing mutable is shared between them. Query results are cached per generation.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Iterator
from contextlib import contextmanager
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from analyzer import store
from analyzer.analysis import labels
from analyzer.db import Database
from analyzer.errors import AnalyzerError
from analyzer.formatting import duration_expr, money_expr
from analyzer.guardrails import replay as guardrails
from analyzer.serve import access, queries

DB_ENV = "ANALYZER_DB"
RETRIES = 3  # a generation replaced between the stat and the open: look again


# --- which database --------------------------------------------------------------------------
def db_path_from_args(argv: list[str] | None = None) -> str | None:
    """`streamlit run dashboards/app.py -- --db FILE`, else the environment's ANALYZER_DB."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--db", default=None)
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    path = args.db or os.environ.get(DB_ENV)
    return str(Path(path).resolve()) if path else None


@st.cache_resource(show_spinner=False, max_entries=3)
def _generation_db(path: str, key: str) -> Database:
    """The generation `key` of `path`, read-only (kept while recent runs may still use it)."""
    gen = store.generation(path)
    if gen is None:
        raise AnalyzerError(f"{path}: the database file is gone")
    if gen.key != key:
        raise _Moved
    return store.open_generation(path, gen)


class _Moved(AnalyzerError):
    """The file moved on to another generation (between the stat and the open, or while a page
    still asked for an older one that is no longer kept)."""

    def __init__(self) -> None:
        super().__init__("the database changed since this page was drawn; reload the page")


def open_current(path: str) -> tuple[Database, store.Generation]:
    """The current generation of `path` and its (cached) connection."""
    for _ in range(RETRIES):
        gen = store.generation(path)
        if gen is None:
            raise AnalyzerError(f"{path}: no database file")
        try:
            return _generation_db(path, gen.key), gen
        except _Moved:
            continue
    raise AnalyzerError(f"{path}: the database keeps changing; reload in a moment")


# --- the settings of the session --------------------------------------------------------------
@dataclass(frozen=True)
class Context:
    path: str
    generation: str  # the key of the generation this run reads
    tz: str
    mask: bool
    summary: dict[str, Any]
    who: str = "local"  # the name audit lines give the user of this session
    label: str = "default"  # which analysis (analyze --label)


def set_context(ctx: Context) -> None:
    st.session_state["_context"] = ctx


def context() -> Context:
    return st.session_state["_context"]


def problem(path: str | None, label: str = "default") -> tuple[queries.Problem | None, str | None]:
    """(why the dashboard cannot show this database, or None; the generation key it read)."""
    if not path:
        return queries.open_problem(path), None
    try:
        _db, gen = open_current(path)
    except Exception as exc:  # missing, not DuckDB: a page, not a traceback
        return queries.open_problem(path, exc), None
    with _cursor(path, gen.key, label) as cur:
        try:
            return queries.problem(cur), gen.key
        except Exception as exc:
            return queries.open_problem(path, exc), gen.key


# --- cached queries ----------------------------------------------------------------------------
_QUERIES: dict[str, Callable[..., Any]] = {}


@contextmanager
def _cursor(path: str, generation: str, label: str) -> Iterator[Database]:
    """A cursor of its own on the generation, reading the analysis `label`."""
    db = _generation_db(path, generation)
    with db.cursor() as cur:
        labels.set_path(cur, labels.schema(label))
        yield cur


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(name: str, path: str, generation: str, label: str, args: tuple, kwargs: tuple) -> Any:
    with _cursor(path, generation, label) as cur:
        return _QUERIES[name](cur, *args, **dict(kwargs))


def cached(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn(db, *args, **kwargs)` of analyzer.serve.queries as `fn(*args, **kwargs)` on the run's
    generation, cached per generation and arguments (arguments must be hashable values)."""
    _QUERIES[fn.__name__] = fn

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        ctx = context()
        return _cached(fn.__name__, ctx.path, ctx.generation, ctx.label, args, tuple(sorted(kwargs.items())))

    return call


def uncached(ctx: Context, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`fn(cursor, *args, **kwargs)` on the generation of `ctx`, not cached. Takes the context
    explicitly: a deferred download runs later, outside the script run and its session state."""
    with _cursor(ctx.path, ctx.generation, ctx.label) as cur:
        return fn(cur, *args, **kwargs)


summary = cached(queries.summary)
bad_change = cached(queries.bad_change)
minute_metrics = cached(queries.minute_metrics)
second_metrics = cached(queries.second_metrics)
timeline = cached(queries.timeline)
range_totals = cached(queries.range_totals)
range_payments = cached(queries.range_payments)
affected_users_page = cached(queries.affected_users_page)
affected_users_totals = cached(queries.affected_users_totals)
user_payments = cached(queries.user_payments)
scenes = cached(queries.scenes)
merchants_page = cached(queries.merchants_page)
config_changes = cached(queries.config_changes)
change_impact = cached(queries.change_impact)
manifest = cached(queries.manifest)
rejects_by_reason = cached(queries.rejects_by_reason)
reject_examples = cached(queries.reject_examples)
disputed = cached(queries.disputed)
history = cached(queries.history)
analyses = cached(queries.analyses)
freshness = cached(queries.freshness)
# the Guardrails page: the default rule set, an uploaded rules file, one rule with the thresholds typed in
replay_default = cached(guardrails.replay_default)
replay_text = cached(guardrails.replay_text)
try_rule = cached(guardrails.try_rule)
milestones = cached(queries.milestones)
scam_reports = cached(queries.scam_reports)
scam_groups = cached(queries.scam_groups)


# --- reviewer notes: a log beside the database that sessions append to, so never cached -------
def notes(mask: bool) -> pl.DataFrame:
    ctx = context()
    return uncached(ctx, queries.notes, ctx.path, mask=mask)


def annotate(target: str, *, who: str, star: bool = False, tags: tuple[str, ...] = (), comment: str = "") -> Any:
    """Append a note (the analysis stays read-only: the note goes to FILE.annotations.jsonl)."""
    ctx = context()
    return uncached(ctx, queries.annotate, ctx.path, target, who=who, star=star, tags=tags, comment=comment)


def activity() -> pl.DataFrame:
    return queries.activity(context().path)


@st.cache_data(show_spinner=False, max_entries=16)
def _scam_figure(path: str, generation: str, label: str, tz: str) -> Any:
    from analyzer.charts import scam_reports_figure

    return scam_reports_figure(scam_reports(mask=True).rename({"linked_user": "linked_user_id"}), summary(), tz)


def scam_figure(tz: str) -> Any:
    """The Customer follow-up page's chart, built once per generation and zone."""
    ctx = context()
    return _scam_figure(ctx.path, ctx.generation, ctx.label, tz)


@st.cache_data(show_spinner=False, max_entries=16)
def _timeline_figure(path: str, generation: str, label: str, tz: str) -> Any:
    from analyzer.charts import timeline_figure as build

    return build(minute_metrics(), second_metrics(), timeline(), summary(), tz)


def timeline_figure(tz: str) -> Any:
    """The Timeline page's figure (analyzer.charts.timeline_figure), built once per generation and zone."""
    ctx = context()
    return _timeline_figure(ctx.path, ctx.generation, ctx.label, tz)


def download(ctx: Context, kind: str, filters: queries.UserFilters, mask: bool, tz: str) -> bytes:
    """The filtered affected users as CSV or Excel bytes (written by the library, then read back).
    An unmasked download is written to the audit log when its bytes go out."""
    writer = {"csv": queries.write_affected_users_csv, "xlsx": queries.write_affected_users_xlsx}[kind]
    with tempfile.TemporaryDirectory(prefix="analyzer-download-") as tmp:
        target = Path(tmp) / f"affected_users.{kind}"
        uncached(ctx, writer, target, filters, mask=mask, tz=tz)
        if not mask:
            access.audit(ctx.path, ctx.who, "download", f"affected_users.{kind}", filters=repr(filters),
                         generation=ctx.generation)
        return target.read_bytes()


def secrets() -> dict[str, Any]:
    """Streamlit's secrets as a dict ({} when there is no secrets file)."""
    try:
        return st.secrets.to_dict()
    except FileNotFoundError:  # StreamlitSecretNotFoundError: no secrets file anywhere
        return {}


# --- how text and frames are shown ------------------------------------------------------------
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def plain(value: object) -> str:
    """A data value safe inside Streamlit Markdown: every ASCII punctuation character escaped
    (links, emphasis, HTML, `:color[...]`, `$math$`), line breaks flattened. It reads the same."""
    return _PUNCTUATION.sub(r"\\\1", str(value)).replace("\r", " ").replace("\n", " ")


# Integer columns that are identifiers or positions, shown without a thousands separator.
PLAIN_INTEGERS = {"ordinal", "rank", "file_id", "line", "kept_line", "conflicting_line", "version_seq", "generation",
                  "pid"}


def shown(df: pl.DataFrame, tz: str, *, durations: tuple[str, ...] = (),
          labels: dict[str, str] | None = None) -> tuple[pl.DataFrame, dict[str, Any]]:
    """A frame ready for `st.dataframe`, and its column config.

    Money (DECIMAL with two decimals) becomes exact text ('4,761,914.07'), never a float; other
    decimals their exact text; instants text in `tz` with the offset; lists 'a, b'; the
    `durations` columns (seconds) '4m 59.9s'. Numbers and money are right-aligned. Native
    polars expressions only (see analyzer.formatting).
    """
    exprs = []
    config: dict[str, Any] = {}
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Decimal):
            exprs.append(money_expr(name) if dtype.scale == 2 else col.cast(pl.String))
            config[name] = st.column_config.TextColumn(alignment="right")
        elif isinstance(dtype, pl.Datetime):
            if dtype.time_zone is None:
                col = col.dt.replace_time_zone("UTC")
            exprs.append(col.dt.convert_time_zone(tz).dt.strftime("%Y-%m-%d %H:%M:%S%.3f %:z"))
        elif isinstance(dtype, pl.List):
            exprs.append(col.cast(pl.List(pl.String)).list.join(", "))
        elif name in durations:
            exprs.append(duration_expr(name))
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


# What people call the columns (the frames keep their names; only the headers change).
HUMAN = {"txn_id": "payment", "user_id": "user", "merchant_id": "payee", "ts": "time", "excess": "excess",
         "excess_total": "excess", "net_excess_total": "net excess", "net_excess": "net excess",
         "affected_txns": "affected payments", "affected_users": "affected users",
         "affected_merchants": "affected payees", "amount_total": "amount", "discount_total": "discount",
         "expected_total": "expected", "fully_refunded_txns": "fully refunded", "partially_refunded_txns":
         "partly refunded", "first_affected_at": "first affected", "last_affected_at": "last affected",
         "exploit_flag": "exploiter", "exploit_scene_txns": "transfers / repayments", "exploit_reason": "why flagged",
         "merchants": "payees", "refunded_amount": "refunded", "logged_version": "version (logged)",
         "explained_by": "priced by", "intended_version": "intended", "in_bad_period": "in the bad period",
         "change_id": "change", "campaign_id": "campaign", "rows_read": "read", "rows_loaded": "loaded",
         "rows_duplicate": "duplicate", "rows_rejected": "rejected", "rows_skipped": "skipped"}
ROW_PX, HEADER_PX, MAX_HEIGHT = 35, 38, 2000


def table(df: pl.DataFrame, tz: str, *, key: str | None = None, durations: tuple[str, ...] = (),
          labels: dict[str, str] | None = None, where: Any = None, column_config: dict[str, Any] | None = None,
          **kwargs: Any) -> Any:
    """Show a frame (see `shown`) as a full-width table without the index, with human column names
    and tall enough for every row of a page (a page of 50 shows 50); returns st.dataframe's value."""
    names = {c: HUMAN[c] for c in df.columns if c in HUMAN}
    frame, config = shown(df, tz, durations=durations, labels={**names, **(labels or {})})
    config.update(column_config or {})
    kwargs.setdefault("height", min(MAX_HEIGHT, HEADER_PX + ROW_PX * max(df.height, 1)))
    return (where or st).dataframe(frame, hide_index=True, width="stretch", column_config=config, key=key,
                                   placeholder="-", **kwargs)


def cards(row: list[tuple[Any, ...]]) -> None:
    """A row of headline figures, one bordered card each: (label, value) or (label, value, help)."""
    for col, (label, value, *help_text) in zip(st.columns(len(row), border=True), row):
        col.metric(label, value, help=help_text[0] if help_text else None)


def _relabel(column_config: Any, label: str) -> Any:
    column_config = dict(column_config)
    column_config["label"] = label
    return column_config


def show_problem(p: queries.Problem) -> None:
    st.title("Incident analyzer")
    st.error(f"**{plain(p.title)}.** {plain(p.message)}")
    st.text("Run this, then reload the page:")
    st.code(p.command, language="sh")
