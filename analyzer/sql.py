"""The one statement loader: SQL files, their templates and their parameters.

Every `.sql` file of the library (and of the benchmark harness) is read here. A file holds one
statement or a script of several, each ended by a semicolon at the end of a line, with a header
comment. The one template grammar:

    {{name}}        filled with a fixed SQL fragment (an identifier quoted by `quote_ident`,
                    a fragment chosen from a whitelist), never with a user's value
    {{name:arg}}    filled by a function of `arg` (e.g. `{{pii:user_id}}` -> the column or
                    its pseudonym)

One analysis, two dialects (DuckDB, the default, and Spark SQL): the files are written in the
forms both engines accept; the few constructs that differ are dialect templates (`DIALECTS`,
filled in every file), and the few statements that must differ have a file of their own under
`analyzer/sql/<dialect>/`, which `load` prefers for that dialect.

Values always go in as bound parameters (`$name`); `bind` keeps only the parameters a statement
names, because DuckDB refuses unused named parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

Params = Sequence[Any] | Mapping[str, Any] | None
Template = str | Callable[[str], str]

# arg: a column, maybe qualified, or several separated by commas ({{ordered_list:value,key,keep}})
_PLACEHOLDER = re.compile(r"\{\{([a-z_][a-z0-9_]*)(?::([a-z_][a-z0-9_.]*(?:,[a-z_][a-z0-9_.]*)*))?\}\}")
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
_STATEMENT_END = re.compile(r";[ \t]*(?:\n|$)")


def _spark_span_text(col: str) -> str:
    """max(col) - min(col) of a group, to the second, spelled as DuckDB prints that interval
    ('00:03:12', '1 day 02:00:05', '2 days'): Spark prints its intervals otherwise."""
    secs = f"((max(unix_micros({col})) - min(unix_micros({col}))) DIV 1000000)"
    days = f"({secs} DIV 86400)"
    return (f"concat_ws(' ', CASE WHEN {days} = 1 THEN '1 day' WHEN {days} > 1 THEN CAST({days} AS STRING) || ' days' END, "
            f"CASE WHEN {days} = 0 OR {secs} % 86400 <> 0 THEN format_string('%02d:%02d:%02d', "
            f"({secs} % 86400) DIV 3600, ({secs} % 3600) DIV 60, {secs} % 60) END)")


# The constructs the two dialects spell differently, as templates every file may use.
DIALECTS: dict[str, dict[str, Template]] = {
    "duckdb": {
        # the whole minute since the epoch of an instant, as an integer key
        "epoch_minute": lambda col: f"epoch_ms({col}) // 60000",
        # the instant an epoch-minute key stands for
        "minute_start": lambda col: f"to_timestamp({col} * 60)",
        # an array's elements joined by a separator: {{array_join}}(arr, sep)
        "array_join": "array_to_string",
        # the span of an instant column over a group, to the second, as text
        "span_text": lambda col: f"CAST(date_trunc('second', max({col}) - min({col})) AS VARCHAR)",
        # the raw payments, whatever schema an analysis (--label) puts first on the search path
        "raw_transactions": "main.transactions",
        # CTE hints (Spark has none: it decides itself)
        "materialized": "MATERIALIZED",
        "not_materialized": "NOT MATERIALIZED",
        # the instant $tolerance_ms milliseconds before an instant column
        "tolerance_before": lambda col: f"{col} - to_milliseconds($tolerance_ms)",
        # a list of values, {{list}}(a, b); the type of a list of texts (for an empty one)
        "list": "list_value",
        "text_list": "VARCHAR[]",
        # one row per element of a list (in a SELECT list, alone); a text split at a regex
        "explode": "unnest",
        "split_regex": "string_split_regex",
        # the open end of the last version's validity
        "forever": "TIMESTAMPTZ 'infinity'",
        # the values of a group, in the order of a key, of the rows where `keep` holds:
        # {{ordered_list:value,key,keep}} (NULL or [] for none: test with cardinality)
        "ordered_list": lambda args: "list({0} ORDER BY {1}) FILTER (WHERE {2})".format(*args.split(",")),
    },
    "spark": {
        "epoch_minute": lambda col: f"unix_millis({col}) DIV 60000",
        "minute_start": lambda col: f"timestamp_seconds({col} * 60)",
        "array_join": "array_join",
        "span_text": _spark_span_text,
        "raw_transactions": "raw_transactions",
        "materialized": "",
        "not_materialized": "",
        # exact: in epoch microseconds (Spark's interval from a bound number is not a literal)
        "tolerance_before": lambda col: f"timestamp_micros(unix_micros({col}) - $tolerance_ms * 1000)",
        "list": "array",
        "text_list": "ARRAY<STRING>",
        "explode": "explode",
        "split_regex": "split",
        # Spark has no infinite instant: the last microsecond it can hold
        "forever": "TIMESTAMP '9999-12-31 23:59:59.999999'",
        # Spark's aggregates take no ORDER BY: sort the (key, value) pairs, keep the values
        "ordered_list": lambda args: ("transform(array_sort(array_agg(struct({1} AS k, {0} AS v)) FILTER (WHERE {2})), "
                                      "s -> s.v)").format(*args.split(",")),
    },
}


@cache
def load(name: str, root: str | None = None, dialect: str = "duckdb") -> str:
    """The text of `<root>/<name>.sql` (default root: the package's `analyzer/sql`); for a
    dialect other than DuckDB, its own `<dialect>/<name>.sql` when there is one."""
    if root is None:
        base = resources.files("analyzer").joinpath("sql")
        if dialect != "duckdb" and (own := base.joinpath(dialect, f"{name}.sql")).is_file():
            return own.read_text(encoding="utf-8")
        return base.joinpath(f"{name}.sql").read_text(encoding="utf-8")
    return (Path(root) / f"{name}.sql").read_text(encoding="utf-8")


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB (doubling embedded quotes)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """Quote a string literal for the few places DuckDB takes no parameter (COPY targets,
    view bodies, file paths of a reader)."""
    return "'" + value.replace("'", "''") + "'"


def strip_comments(text: str) -> str:
    """The text without its whole-line `--` comments (a header may mention a placeholder)."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--")).strip()


def fill(text: str, templates: Mapping[str, Template], *, where: str = "SQL") -> str:
    """Fill every placeholder; one that no template fills is an error (a bug, not data)."""
    def sub(match: re.Match[str]) -> str:
        name, arg = match.groups()
        if name not in templates:
            raise KeyError(f"{where}: no template for {match.group(0)}")
        value = templates[name]
        if arg is None:
            if callable(value):
                raise KeyError(f"{where}: {match.group(0)} needs an argument")
            return value
        if not callable(value):
            raise KeyError(f"{where}: {match.group(0)} takes no argument")
        return value(arg)

    return _PLACEHOLDER.sub(sub, text)


def split(text: str) -> list[str]:
    """The statements of a script (comments stripped), split on semicolons at line ends."""
    return [body for part in _STATEMENT_END.split(text) if (body := strip_comments(part).rstrip(";").strip())]


def script(name: str, root: str | None = None, dialect: str = "duckdb", **templates: Template) -> list[str]:
    """The statements of `<name>.sql` in `dialect`, placeholders filled."""
    return split(fill(strip_comments(load(name, root, dialect)), {**DIALECTS[dialect], **templates},
                      where=f"{name}.sql"))


def statement(name: str, root: str | None = None, dialect: str = "duckdb", **templates: Template) -> str:
    """The one statement of `<name>.sql` (no trailing semicolon), placeholders filled: a SELECT
    a caller may wrap (`SELECT count(*) FROM (<statement>)`)."""
    statements = script(name, root, dialect, **templates)
    if len(statements) != 1:
        raise ValueError(f"{name}.sql holds {len(statements)} statements, not one")
    return statements[0]


def parameters(sql: str) -> set[str]:
    return set(_PARAM.findall(sql))


def bind(sql: str, params: Params) -> Params:
    """The parameters `sql` names (a mapping is narrowed; a sequence passes as is)."""
    if params is None or not isinstance(params, Mapping):
        return params if params else None
    names = parameters(sql)
    missing = names - set(params)
    if missing:
        raise KeyError(f"unbound parameters: {', '.join(sorted(missing))}")
    bound = {k: v for k, v in params.items() if k in names}
    return bound or None
