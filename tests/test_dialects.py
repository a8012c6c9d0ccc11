"""One analysis, two dialects: every statement analyze runs on Spark is the same file as on
DuckDB (or Spark's own, under analyzer/sql/spark/), and once its templates are filled for Spark
it holds none of DuckDB's own constructs, and no text literal that Spark would read otherwise
than DuckDB: none with a backslash (Spark unescapes it, DuckDB keeps it: a regex is a bound
parameter, analysis/patterns.py) or a doubled quote.
No Spark needed: this reads the text; tests/test_spark.py runs it."""

from __future__ import annotations

import re

import pytest

from analyzer import sql

# what analyze --engine spark runs on Spark (analysis/pipeline.py), with the templates it passes
ON_SPARK = {
    "analysis/macros": {}, "analysis/functions": {}, "analysis/config_versions": {},
    "analysis/currency_view": {"currency": "'USD'", "include_unset": "false"},
    "analysis/payment_groups": {}, "analysis/change_impact": {}, "analysis/fix_candidates": {},
    "analysis/priced_exceptions": {}, "analysis/affected": {}, "analysis/metrics": {}, "analysis/peak_minute": {},
    "analysis/milestones": {}, "analysis/scam_reports": {}, "analysis/timeline": {}, "analysis/incident_summary": {},
}
# DuckDB's own spellings (the list): none may reach Spark
DUCKDB_ONLY = {
    "a lambda": r"\blambda\b", "a list_ function": r"\blist_[a-z_]+\s*\(", "a list(...) aggregate": r"\blist\s*\(",
    "arg_min / arg_max": r"\barg_(?:min|max)\b", "a :: cast": r"::", "a CTE hint": r"\bMATERIALIZED\b",
    "UNION ... BY NAME": r"\bBY\s+NAME\b", "'infinity'": r"'infinity'", "a TIMESTAMPTZ type": r"\bTIMESTAMPTZ\b",
    "a VARCHAR type": r"\bVARCHAR\b", "a JSON function": r"\bjson_[a-z_]+\s*\(", "FILTER without WHERE": r"FILTER\s*\((?!\s*WHERE)",
    "a [...] list literal": r"(?<![\w\]'\)])\[(?!\\)", "a macro": r"\bMACRO\b", "len()": r"\blen\s*\(",
    "unnest": r"\bunnest\s*\(", "string_split_regex": r"\bstring_split_regex\b", "epoch_ms in a template's place": r"\bto_milliseconds\b",
}


def literals(text: str) -> list[str]:
    """The text literals of a statement, as written (quotes doubled inside kept)."""
    found, i = [], 0
    while (start := text.find("'", i)) != -1:
        j = start + 1
        while True:
            j = text.index("'", j)
            if text.startswith("''", j):
                j += 2
                continue
            break
        found.append(text[start + 1:j])
        i = j + 1
    return found


def spark_text(name: str, templates: dict) -> str:
    fragments = {"view": lambda n: f"TEMP VIEW {n}", "table": lambda n: n, "transactions": "transactions",
                 **{p: f"${p}" for p in ("campaigns", "bad_campaign", "bad_from", "fix_from", "bad_seq", "fix_seq")}}
    return "\n".join(sql.script(name, dialect="spark", **{**fragments, **templates}))


@pytest.mark.parametrize("name", sorted(ON_SPARK))
def test_a_statement_on_spark_holds_no_duckdb_spelling(name):
    text = spark_text(name, ON_SPARK[name])
    outside_literals = re.sub(r"'(?:[^']|'')*'", "''", text)
    found = {what: m.group(0) for what, pattern in DUCKDB_ONLY.items()
             if (m := re.search(pattern, outside_literals))}
    assert found == {}, f"{name}.sql on Spark"
    unlike = [lit for lit in literals(text) if "''" in lit or "\\" in lit]
    assert unlike == [], f"{name}.sql: a literal Spark reads otherwise than DuckDB (a regex goes in as a parameter)"


def test_the_priced_view_on_spark_holds_no_duckdb_spelling():
    text = spark_text("analysis/priced_transactions", {})
    assert not re.search(r"\blambda\b|::|\bMATERIALIZED\b|\blist_[a-z_]+\(", re.sub(r"'(?:[^']|'')*'", "''", text))


def test_the_check_finds_what_it_looks_for():
    """The patterns above catch the DuckDB forms they name (the test can fail)."""
    duckdb_text = "\n".join(sql.script("analysis/functions"))
    hits = {what for what, pattern in DUCKDB_ONLY.items() if re.search(pattern, duckdb_text)}
    assert {"a lambda", "a list_ function", "a macro"} <= hits
    assert literals("SELECT 'it''s', '', 'a' FROM t") == ["it''s", "", "a"]
    assert literals(r"SELECT split(x, '[\s,]+')") == [r"[\s,]+"]
    for spelled in ("SELECT [1, 2]", "SELECT x::INT", "SELECT count(*) FILTER (x > 1)", "UNION ALL BY NAME SELECT 1",
                    "SELECT arg_min(a, (b, c))", "SELECT list(a ORDER BY b)"):
        assert any(re.search(p, spelled) for p in DUCKDB_ONLY.values()), spelled
