"""Reviewers' notes on an incident: star, tag and comment a timeline row, a payment, a user or a
change, from the dashboard and the CLI (`analyzer annotate`).

They live beside the analysis, never in it: `FILE.annotations.jsonl` next to the database
`FILE`, an append-only activity log, one JSON object per line, in the line format of the audit
log of revealed identifiers (`FILE.audit.jsonl`): `at` (ISO 8601, UTC), `who`, `action`,
`what` (the target), then the note's own fields. The analysis file is only ever opened
read-only here (to check a target and to mask a user id), so it stays byte-identical and a
dashboard can keep it open.

Several dashboard sessions and CLI runs may append at once: each line is written with one
`write` on a descriptor opened with O_APPEND, under an exclusive `flock` of the log, then
fsynced, so lines never interleave and a line that was acknowledged survives a crash. The
current notes are the log folded: `annotate` adds a note, `delete` retracts one by its id.

Targets, as `kind:id`:
    change:<change_id>       a config change (a timeline row too)
    event:<event_id>         an imported event's timeline row
    milestone:<role>         a derived milestone's row (first_affected, peak_minute, last_affected)
    payment:<txn_id>         a payment
    user:<pseudonym>         a user, always stored as the database's keyed pseudonym (anon-...),
                             so the log holds no personal identifier
`timeline:<ordinal>` names a row of the timeline by its number and is stored as the row's key.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analyzer.db import Database
from analyzer.errors import InputError, UsageError

SUFFIX = ".annotations.jsonl"
AUDIT_SUFFIX = ".audit.jsonl"  # the log of revealed identifiers (another part of the dashboard writes it)
KINDS = ("change", "event", "milestone", "payment", "user")
TIMELINE_KINDS = ("change", "event", "milestone")
MAX_COMMENT = 4000
MAX_TAG = 40
MAX_TAGS = 20
MAX_WHO = 80


@dataclass(frozen=True)
class Annotation:
    """One current note (the log folded)."""

    id: str
    what: str  # the target, kind:id
    who: str
    at: datetime
    star: bool = False
    tags: tuple[str, ...] = ()
    comment: str = ""

    @property
    def kind(self) -> str:
        return self.what.split(":", 1)[0]

    @property
    def ref(self) -> str:
        return self.what.split(":", 1)[1]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": _iso(self.at), "who": self.who, "what": self.what, "kind": self.kind,
                "ref": self.ref, "star": self.star, "tags": list(self.tags), "comment": self.comment}


@dataclass(frozen=True)
class Log:
    """Every line of the activity log, and the lines that could not be read (kept, counted)."""

    entries: tuple[dict[str, Any], ...]
    unreadable: tuple[int, ...] = field(default_factory=tuple)  # 1-based line numbers


def store_path(db_path: str | Path) -> Path:
    """The activity log beside the database `FILE`: `FILE.annotations.jsonl`."""
    p = Path(db_path)
    return p.with_name(p.name + SUFFIX)


def audit_path(db_path: str | Path) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + AUDIT_SUFFIX)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds")


def _clean(text: str, what: str, limit: int, *, multiline: bool = False) -> str:
    text = unicodedata.normalize("NFC", str(text)).strip()
    if len(text) > limit:
        raise UsageError(f"{what}: at most {limit} characters (got {len(text)})")
    allowed = "\n\t" if multiline else ""
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text):
        raise UsageError(f"{what}: control characters are not allowed")
    return text


def clean_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags as given (comma-separated pieces allowed), trimmed, lower-cased, without repeats."""
    out: list[str] = []
    for tag in tags:
        for piece in str(tag).split(","):
            piece = _clean(piece, "tag", MAX_TAG).lower()
            if piece and piece not in out:
                out.append(piece)
    if len(out) > MAX_TAGS:
        raise UsageError(f"at most {MAX_TAGS} tags per note")
    return tuple(out)


def parse_target(text: str) -> tuple[str, str]:
    """'change:CHG-1' -> ('change', 'CHG-1'); 'timeline:12' -> ('timeline', '12')."""
    kind, sep, ref = str(text).strip().partition(":")
    kind = kind.strip().lower()
    ref = ref.strip()
    if not sep or not ref or kind not in (*KINDS, "timeline"):
        raise UsageError(f"target {text!r}: write it as KIND:ID with KIND one of {', '.join((*KINDS, 'timeline'))} "
                         "(e.g. change:CHG-20250116-0042, payment:T202501278950, user:U12345678, timeline:12)")
    return kind, _clean(ref, "target id", 200)


def resolve_target(db: Database, text: str) -> str:
    """The target as stored (`kind:id`), checked against the analysis (read-only).

    A timeline number becomes its row's key; a user id becomes its pseudonym (a pseudonym is
    accepted as is). Raises UsageError when the analysis has no such row."""
    kind, ref = parse_target(text)
    if kind == "timeline":
        if not ref.isdigit():
            raise UsageError(f"target {text!r}: timeline rows are numbered (timeline:12)")
        key = db.scalar("SELECT row_key FROM timeline WHERE ordinal = ?", [int(ref)])
        if key is None:
            raise UsageError(f"target {text!r}: the timeline has no row {ref}")
        return key
    if kind == "user":
        if db.scalar("SELECT 1 FROM transactions WHERE user_id = ? LIMIT 1", [ref]):
            return f"user:{db.scalar('SELECT pseudonym(?)', [ref])}"
        if ref.startswith("anon-") and db.scalar(
                "SELECT 1 FROM affected_users WHERE pseudonym(user_id) = ? LIMIT 1", [ref]):
            return f"user:{ref}"
        raise UsageError(f"target {text!r}: no such user in the analysis (a pseudonym must be an affected user's)")
    if kind == "event":  # an event merged into its change's row is annotated on that row
        merged = db.scalar("SELECT row_key FROM timeline WHERE list_contains(merged_event_ids, ?)", [ref])
        if merged is not None:
            return merged
    checks = {
        "change": "SELECT 1 FROM config_versions WHERE change_id = ?",
        "event": "SELECT 1 FROM events WHERE event_id = ?",
        "milestone": "SELECT 1 FROM timeline WHERE source = 'analysis' AND role = ?",
        "payment": "SELECT 1 FROM transactions WHERE txn_id = ? AND type = 'payment'",
    }
    if not db.scalar(checks[kind], [ref]):
        raise UsageError(f"target {text!r}: no such {kind} in the analysis")
    return f"{kind}:{ref}"


# --- the log ------------------------------------------------------------------------------
@contextmanager
def _locked(path: Path, flags: int, lock: int) -> Iterator[int]:
    fd = os.open(path, flags, 0o644)
    try:
        fcntl.flock(fd, lock)
        yield fd
    finally:
        os.close(fd)  # releases the lock


def append_entry(path: Path, entry: dict[str, Any]) -> None:
    """Append one line to a log, whole, under an exclusive lock, and fsync it."""
    line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    created = not path.exists()
    try:
        with _locked(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, fcntl.LOCK_EX) as fd:
            view = memoryview(line)
            while view:  # one write in practice; a short write continues at once, still under the lock
                view = view[os.write(fd, view):]
            os.fsync(fd)
        if created:
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    except OSError as exc:
        raise InputError(f"cannot write the annotations log: {exc.strerror}", path=str(path)) from exc


def read_log(path: Path) -> Log:
    """Every entry of a log (JSON lines); a line that is not a JSON object is counted, not dropped silently."""
    if not path.exists():
        return Log(())
    with _locked(path, os.O_RDONLY, fcntl.LOCK_SH) as fd, os.fdopen(os.dup(fd), "rb") as fh:
        data = fh.read()
    entries, bad = [], []
    for n, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            bad.append(n)
            continue
        if isinstance(entry, dict):
            entries.append(entry)
        else:
            bad.append(n)
    return Log(tuple(entries), tuple(bad))


def annotate(db_path: str | Path, what: str, *, who: str, star: bool = False, tags: Iterable[str] = (),
             comment: str = "", now: datetime | None = None) -> Annotation:
    """Add a note on `what` (a target as `resolve_target` returns it) by `who`."""
    kind, _ = parse_target(what)
    if kind not in KINDS:
        raise UsageError(f"target {what!r}: resolve a timeline number first")
    who = _clean(who, "who", MAX_WHO)
    if not who:
        raise UsageError("who: say who writes the note (--who NAME, or your name in the dashboard)")
    comment = _clean(comment, "comment", MAX_COMMENT, multiline=True)
    tag_list = clean_tags(tags)
    if not (star or tag_list or comment):
        raise UsageError("a note needs a star, a tag or a comment")
    note = Annotation(id=secrets.token_hex(6), what=what, who=who, at=now or datetime.now(UTC), star=bool(star),
                      tags=tag_list, comment=comment)
    append_entry(store_path(db_path), {"at": _iso(note.at), "who": note.who, "action": "annotate", "what": note.what,
                                       "id": note.id, "star": note.star, "tags": list(note.tags),
                                       "comment": note.comment})
    return note


def delete(db_path: str | Path, note_id: str, *, who: str, now: datetime | None = None) -> Annotation:
    """Retract a note by its id (the log keeps both lines)."""
    who = _clean(who, "who", MAX_WHO)
    if not who:
        raise UsageError("who: say who retracts the note")
    current_notes = {n.id: n for n in notes(db_path)}
    if note_id not in current_notes:
        raise UsageError(f"no current note with id {note_id!r} (see `analyzer annotate list`)")
    note = current_notes[note_id]
    append_entry(store_path(db_path), {"at": _iso(now or datetime.now(UTC)), "who": who, "action": "delete",
                                       "what": note.what, "id": note_id})
    return note


def fold(entries: Iterable[dict[str, Any]]) -> list[Annotation]:
    """The current notes, oldest first: every `annotate` not later retracted by a `delete`."""
    current: dict[str, Annotation] = {}
    for e in entries:
        action, note_id = e.get("action"), e.get("id")
        if action == "annotate" and isinstance(note_id, str):
            try:
                at = datetime.fromisoformat(str(e.get("at")))
            except ValueError:
                continue
            current[note_id] = Annotation(id=note_id, what=str(e.get("what", "")), who=str(e.get("who", "")),
                                          at=at if at.tzinfo else at.replace(tzinfo=UTC), star=bool(e.get("star")),
                                          tags=tuple(str(t) for t in e.get("tags") or ()),
                                          comment=str(e.get("comment") or ""))
        elif action == "delete" and isinstance(note_id, str):
            current.pop(note_id, None)
    return sorted(current.values(), key=lambda n: (n.at, n.id))


def notes(db_path: str | Path) -> list[Annotation]:
    """The current notes beside the database `db_path`."""
    return fold(read_log(store_path(db_path)).entries)


def activity(db_path: str | Path) -> list[dict[str, Any]]:
    """Who did what, newest first: the annotations log and the audit log of revealed identifiers
    (when there is one), each line with the log it came from."""
    rows = []
    for log, path in (("annotations", store_path(db_path)), ("audit", audit_path(db_path))):
        for e in read_log(path).entries:
            rows.append({"at": str(e.get("at", "")), "who": str(e.get("who", "")), "action": str(e.get("action", "")),
                         "what": str(e.get("what", "")), "log": log})
    return sorted(rows, key=lambda r: r["at"], reverse=True)
