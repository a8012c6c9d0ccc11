"""Named analyses side by side in one database (`analyze --label NAME`).

Each analysis keeps its derived tables in a schema of its own (`analysis_<name>`; the default
analysis, label `default`, in `main` beside the raw tables), and a reader picks one by setting
the connection's search path: the label's schema first, then `main` for the raw tables. So every
query of the library stays unqualified and reads whichever analysis was chosen. The table
`analyses` in `main` lists them (what each named as bad and fix change, when it ran).
"""

from __future__ import annotations

import re

from analyzer.db import Database
from analyzer.errors import DataError, UsageError
from analyzer.sql import quote_ident, quote_literal

DEFAULT = "default"
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")


def check(label: str) -> str:
    if not _LABEL.fullmatch(label):
        raise UsageError(f"--label {label!r}: use 1 to 40 letters, digits, '.', '_' or '-' (starting with a letter "
                         "or digit), e.g. inferred, named-0047, lag-120s")
    return label


def schema(label: str) -> str:
    """The schema holding the analysis `label` (main for the default one)."""
    check(label)
    if label == DEFAULT:
        return "main"
    return "analysis_" + re.sub(r"[^a-z0-9]", "_", label.lower())


def use(db: Database, label: str = DEFAULT) -> None:
    """Read (or write) the analysis `label` on this connection: its schema first, then main.
    An unknown label is an error listing the known ones."""
    name = schema(label)
    if name != "main" and not db.scalar("SELECT count(*) FROM duckdb_schemas() WHERE schema_name = ?", [name]):
        labels = known(db)
        raise UsageError(f"--label {label!r}: no such analysis in {db.path}; "
                         f"known: {', '.join(labels) or '(none: run analyzer analyze)'}")
    set_path(db, name)


def set_path(db: Database, name: str) -> None:
    path = name if name == "main" else f"{name},main"
    db.execute(f"SET search_path = {quote_literal(path)}").fetchall()


def create(db: Database, label: str) -> str:
    """The schema of a new or re-run analysis `label`, made current for this connection."""
    name = schema(label)
    if name != "main":
        taken = db.scalar("SELECT label FROM analyses WHERE schema_name = ? AND label <> ?", [name, label]) \
            if db.has_table("analyses") else None
        if taken:
            raise UsageError(f"--label {label!r} would share its tables with the analysis {taken!r}; choose another")
        db.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(name)}").fetchall()
    set_path(db, name)
    return name


def known(db: Database) -> list[str]:
    """The labels of the analyses in this database, default first."""
    if not db.has_table("analyses"):
        return [DEFAULT] if db.has_table("incident_summary") else []
    labels = [r[0] for r in db.rows("SELECT label FROM main.analyses ORDER BY label <> 'default', analyzed_at")]
    return labels


def require(db: Database, label: str) -> None:
    """`use` the analysis, or a DataError when the database holds none yet."""
    if not known(db):
        raise DataError(f"{db.path}: not analyzed yet; run `analyzer analyze --db {db.path}`")
    use(db, label)


def open_analysis(db: Database, label: str = DEFAULT) -> None:
    """Read the analysis `label` on this connection. The default label on a database that holds
    only named analyses is an error naming them (rather than an empty summary)."""
    if label != DEFAULT:
        use(db, label)
        return
    set_path(db, "main")
    if db.has_table("analyses") and not db.has_table("incident_summary"):
        raise UsageError(f"{db.path} holds no default analysis; pass --label, one of: {', '.join(known(db))}")
