"""Masking of personal identifiers (user ids and payees) in reports and the dashboard.

The HTML and Markdown reports and the dashboard mask by default; row exports keep ids
(they are the outreach list) unless --mask-pii. The SQL macro `pseudonym(id)` (sql/macros.sql)
does the work inside DuckDB, so large exports stream without Python touching each row.
"""

from __future__ import annotations

from analyzer.db import Database, quote_ident

PERSONAL_COLUMNS = ("user_id", "merchant_id")


def masked(column: str, mask: bool, alias: str | None = None) -> str:
    """SQL for a column, masked or not, keeping its name."""
    name = quote_ident(column)
    expr = f"pseudonym({name})" if mask else name
    return f"{expr} AS {quote_ident(alias or column)}"


def pseudonym(db: Database, value: str) -> str:
    return db.scalar("SELECT pseudonym(?)", [value])
