"""The row exports (affected users, transactions, merchants) as CSV and Parquet.

Called by `write_reports` and by the dashboard's "download CSV" (which wraps `select_sql`
in its own filters and writes with `copy_csv`, so a download and `affected_users.csv` are the
same bytes for the same database and masking). Rows never become Python objects: DuckDB
streams them with `COPY (...) TO`, so a million affected payments take seconds.

Formats of a value:
- money: DECIMAL(18,2), written exactly (`942665.39`, never through a float);
- instants: CSV has ISO 8601 text in the incident's zone with its offset
  (`2025-01-16T14:40:00.091+08:00`); Parquet keeps the TIMESTAMPTZ (an absolute instant);
- lists (`scenes`): CSV has `shopping;transfer`; Parquet keeps the list;
- user and payee ids: as is, or the keyed `pseudonym()` when masking;
- CSV text cells that a spreadsheet would run as a formula (starting with = + - @ TAB CR) get a
  leading single quote (the OWASP rule), unless raw CSV is asked for (`--raw-csv`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analyzer import sql
from analyzer.db import Database
from analyzer.sql import quote_ident, quote_literal
from analyzer.report.files import atomic_path

EXPORT_NAMES = ("affected_users", "affected_transactions", "affected_merchants")
# The remediation lists (file name -> its SQL in sql/report/): exploiters for risk review, the
# users and merchants to notify with the official message. Masked by default (Masking.lists).
REMEDIATION_NAMES = ("exploiters", "notify", "notify_merchants")
_SQL_NAMES = {"exploiters": "remediation_exploiters", "notify": "remediation_notify",
              "notify_merchants": "remediation_merchants"}

def instant_text_sql(column: str, tz_param: str = "$tz") -> str:
    """SQL turning a TIMESTAMPTZ column into ISO 8601 text in the zone `tz_param`, with offset.

    Milliseconds (`.091`), or microseconds when the value has them. Independent of the
    session's TimeZone: the offset is the difference between local and absolute epochs.
    """
    col = quote_ident(column)
    local = f"timezone({tz_param}, {col})"
    return (
        f"CASE WHEN microsecond({local}) % 1000 = 0 "
        f"THEN strftime({local}, '%Y-%m-%dT%H:%M:%S.%g') "
        f"ELSE strftime({local}, '%Y-%m-%dT%H:%M:%S.%f') END"
        f" || CASE WHEN epoch_us({local}) < epoch_us({col}) THEN '-' ELSE '+' END"
        f" || strftime(make_timestamp(abs(epoch_us({local}) - epoch_us({col}))), '%H:%M')"
    )


def _templates(*, mask_pii: bool, instants: str, lists: str) -> dict[str, sql.Template]:
    """The export placeholders: {{pii:col}} the column or its pseudonym; {{instant:col}} as
    "text" (ISO in $tz), "absolute" (TIMESTAMPTZ) or "local" (naive TIMESTAMP in $tz, for
    Excel); {{list:col}} as "text" (a;b) or "list"."""
    def pii(column: str) -> str:
        name = quote_ident(column)
        return f"pseudonym({name}) AS {name}" if mask_pii else name

    def instant(column: str) -> str:
        name = quote_ident(column)
        return {"text": f"{instant_text_sql(column)} AS {name}", "absolute": name,
                "local": f"timezone($tz, {name}) AS {name}"}[instants]

    def as_list(column: str) -> str:
        name = quote_ident(column)
        return name if lists == "list" else f"array_to_string({name}, ';') AS {name}"

    def money_text(column: str) -> str:
        """A DECIMAL(18,2) as people read it in a message, exactly: -1,234.56."""
        name = quote_ident(column)
        return (f"(CASE WHEN {name} < 0 THEN '-' ELSE '' END || format('{{:,}}', CAST(trunc(abs({name})) AS BIGINT))"
                f" || '.' || lpad(CAST(CAST(abs({name}) * 100 AS BIGINT) % 100 AS VARCHAR), 2, '0'))")

    def local_minute(column: str) -> str:
        """An instant as wall-clock text in $tz to the minute, for a message: 2025-01-16 14:40."""
        return f"strftime(timezone($tz, {quote_ident(column)}), '%Y-%m-%d %H:%M')"

    def reference(column: str) -> str:
        """REF-XXXX-XXXX-XXXX-XXXX from the first 16 hex digits of a keyed hash column."""
        h = quote_ident(column)
        return " || '-' || ".join([f"'REF-' || substr({h}, 1, 4)"] + [f"substr({h}, {i}, 4)" for i in (5, 9, 13)])

    def message_texts(column: str) -> str:
        """The text columns a message's placeholders read (MESSAGE_FIELDS): the reference from the
        keyed hash `column`, the windows' and the rows' first and last minutes, excess and kept."""
        return ",\n".join([f"{reference(column)} AS reference",
                            *(f"{local_minute(c)} AS {t}" for c, t in (
                                ("window_start", "window_start_text"), ("window_end", "window_end_text"),
                                ("first_affected_at", "first_text"), ("last_affected_at", "last_text"))),
                            f"{money_text('excess_total')} AS excess_text",
                            f"{money_text('net_excess_total')} AS kept_text"])

    def message(column: str) -> str:
        """The message template in `column` with its {placeholders} filled from the row's
        columns of the same job (MESSAGE_FIELDS); a list without one of them has it as ''."""
        out = quote_ident(column)
        for field, source in MESSAGE_FIELDS:
            out = f"replace({out}, '{{{field}}}', {source})"
        return out

    return {"pii": pii, "instant": instant, "list": as_list, "money_text": money_text, "local_minute": local_minute,
            "reference": reference, "message_texts": message_texts, "message": message}


# A message's placeholders (analyzer/report/messages.py) and the columns of a remediation list's
# `filled` step that fill them.
MESSAGE_FIELDS = (("ref", "reference"), ("payments", "CAST(affected_txns AS VARCHAR)"),
                  ("users", "users_text"), ("excess", "excess_text"), ("kept", "kept_text"),
                  ("shortfall", "shortfall_text"), ("first_at", "first_text"), ("last_at", "last_text"),
                  ("window_start", "window_start_text"), ("window_end", "window_end_text"))


def expand_template(name: str, *, mask_pii: bool, instants: str, lists: str) -> str:
    """analyzer/sql/report/<name>.sql with its placeholders filled (see `_templates`)."""
    return sql.statement(f"report/{name}", **_templates(mask_pii=mask_pii, instants=instants, lists=lists))


def _export(name: str, **how: Any) -> str:
    if name in REMEDIATION_NAMES:
        return expand_template(_SQL_NAMES[name], **how)
    if name not in EXPORT_NAMES:
        raise ValueError(f"unknown export {name!r}; choose from {', '.join(EXPORT_NAMES + REMEDIATION_NAMES)}")
    return expand_template(name, **how)


def select_sql(name: str, *, mask_pii: bool) -> str:
    """The SELECT (no trailing semicolon) behind the CSV export `name`.

    Text instants in the zone bound as `$tz` (the incident's `display_tz`), money as
    DECIMAL(18,2), `scenes` as `a;b` text, ordered deterministically. Its only parameter is
    `$tz`. Every column is a plain output column, so callers may wrap it:
    `SELECT * FROM (<select_sql>) WHERE excess_total >= $min`.
    """
    return _export(name, mask_pii=mask_pii, instants="text", lists="text")


def typed_select_sql(name: str, *, mask_pii: bool) -> str:
    """The SELECT behind the Parquet export `name`: the same rows, columns and order as
    `select_sql`, with instants kept as TIMESTAMPTZ and lists as lists. No parameters for the
    affected_* exports (a remediation list's messages still take $tz and their templates)."""
    return _export(name, mask_pii=mask_pii, instants="absolute", lists="list")


def local_select_sql(name: str, *, mask_pii: bool) -> str:
    """The SELECT behind the Excel export `name`: as `select_sql`, but instants as naive
    TIMESTAMPs of the wall clock in `$tz` (Excel has no zones; the sheet names the zone)."""
    return _export(name, mask_pii=mask_pii, instants="local", lists="text")


# A cell a spreadsheet would run as a formula (OWASP, "CSV Injection"): = + - @ TAB CR first.
FORMULA_START = "^[=+\\-@\t\r]"


def neutralised(db: Database, select: str, params: Mapping[str, Any] | None) -> str:
    """`select` with every text cell that starts like a formula prefixed with a single quote, so
    Excel and LibreOffice show it as text instead of running it. Money, counts and instants are
    not text columns here and pass unchanged."""
    cells = []
    for name, type_name, *_ in db.rows(f"DESCRIBE {select}", params):
        col = quote_ident(name)
        if str(type_name).upper() == "VARCHAR":
            cells.append(f"CASE WHEN regexp_matches({col}, {quote_literal(FORMULA_START)}) "
                         f"THEN chr(39) || {col} ELSE {col} END AS {col}")
        else:
            cells.append(col)
    return f"SELECT {', '.join(cells)} FROM ({select})"


def copy_csv(db: Database, select: str, params: Mapping[str, Any] | None, path: Path, *, raw: bool = False) -> None:
    """Stream the rows of `select` into a CSV file with a header (UTF-8, `,`, `"`-quoting, LF).
    Cells that would run as spreadsheet formulas are neutralised unless `raw` (machine consumers)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = select if raw else neutralised(db, select, params)
    db.execute(f"COPY ({body}) TO {quote_literal(str(path))} (FORMAT csv, HEADER, DELIMITER ',', QUOTE '\"', "
               "NEW_LINE '\\n')", params).fetchall()


def copy_parquet(db: Database, select: str, params: Mapping[str, Any] | None, path: Path) -> None:
    """Stream the rows of `select` into a Parquet file (DECIMAL(18,2) stays a Parquet decimal)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db.execute(f"COPY ({select}) TO {quote_literal(str(path))} (FORMAT parquet, COMPRESSION zstd)",
               params).fetchall()


def write_csv(db: Database, name: str, out_dir: Path, *, mask_pii: bool, tz: str, raw: bool = False,
              params: Mapping[str, Any] | None = None) -> Path:
    """`name`.csv in out_dir; `params` adds the parameters a remediation list needs (its messages)."""
    path = Path(out_dir) / f"{name}.csv"
    with atomic_path(path) as tmp:
        copy_csv(db, select_sql(name, mask_pii=mask_pii), {**(params or {}), "tz": tz}, tmp, raw=raw)
    return path


def write_parquet(db: Database, name: str, out_dir: Path, *, mask_pii: bool, tz: str = "UTC",
                  params: Mapping[str, Any] | None = None) -> Path:
    path = Path(out_dir) / f"{name}.parquet"
    with atomic_path(path) as tmp:
        copy_parquet(db, typed_select_sql(name, mask_pii=mask_pii), {**(params or {}), "tz": tz}, tmp)
    return path
