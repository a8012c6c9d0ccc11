"""Reviewer notes: the annotations beside a database (analyzer/annotations.py), described for
people, for the report's "Reviewer notes" section, `analyzer annotate list` and the export.

Called by `write_reports`, the CLI and the dashboard. A note's target is described from the
analysis (read-only): a timeline row by its title, a payment by its scene and excess, a user by
its excess. Users are stored as pseudonyms; an unmasked document shows the real id of an
affected user instead. The export goes through `exports.copy_csv` (the one CSV writer of the
exports), or JSON lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from analyzer import annotations, sql
from analyzer.db import Database
from analyzer.report.files import atomic_path

EXPORT_FORMATS = ("csv", "jsonl")
NOTE_COLUMNS = ("id", "at", "who", "what", "kind", "ref", "label", "star", "tags", "comment")


@dataclass(frozen=True)
class Note:
    id: str
    at: datetime
    who: str
    what: str  # as stored
    kind: str
    ref: str  # as shown (a real user id only when unmasked)
    label: str | None  # the target in words; None when the analysis no longer has it
    star: bool
    tags: tuple[str, ...]
    comment: str
    row_ts: datetime | None  # a timeline row's instant


def describe(db: Database, notes: list[annotations.Annotation], *, mask: bool = True) -> list[Note]:
    """The notes with their targets described from the analysis, oldest first."""
    if not notes:
        return []
    shown = "pseudonym(u.user_id)" if mask else "u.user_id"
    rows = db.dicts(sql.statement("report/note_targets", user_shown=shown), {"targets": sorted({n.what for n in notes})})
    by_target = {r["what"]: r for r in rows}
    out = []
    for n in notes:
        t = by_target.get(n.what, {})
        out.append(Note(id=n.id, at=n.at, who=n.who, what=n.what, kind=n.kind, ref=t.get("shown_ref") or n.ref,
                        label=t.get("label"), star=n.star, tags=n.tags, comment=n.comment, row_ts=t.get("row_ts")))
    return out


def load(db: Database, db_path: str | Path, *, mask: bool = True) -> list[Note]:
    return describe(db, annotations.notes(db_path), mask=mask)


def as_rows(notes: list[Note]) -> list[dict[str, Any]]:
    return [{"id": n.id, "at": n.at.isoformat(timespec="milliseconds"), "who": n.who,
             "what": f"{n.kind}:{n.ref}", "kind": n.kind, "ref": n.ref, "label": n.label, "star": n.star,
             "tags": ";".join(n.tags), "comment": n.comment} for n in notes]


def export(db: Database, db_path: str | Path, out: Path, *, fmt: str | None = None, mask: bool = True) -> Path:
    """Write the current notes to `out` as CSV (through copy_csv) or JSON lines; returns the path."""
    from analyzer.report.exports import copy_csv

    out = Path(out)
    fmt = fmt or ("jsonl" if out.suffix.lower() in (".jsonl", ".json") else "csv")
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown notes format {fmt!r}; choose from {', '.join(EXPORT_FORMATS)}")
    rows = as_rows(load(db, db_path, mask=mask))
    with atomic_path(out) as tmp:
        if fmt == "jsonl":
            tmp.write_bytes("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8"))
        else:
            frame = pl.DataFrame(rows, schema={c: (pl.Boolean if c == "star" else pl.String) for c in NOTE_COLUMNS})
            with Database(":memory:") as scratch:
                scratch.register("reviewer_notes", frame)
                copy_csv(scratch, sql.statement("report/reviewer_notes_export"), None, tmp)
    return out
