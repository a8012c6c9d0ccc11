"""Finding the bad change and the change that fixed it (from `change_impact`).

Called by `analyze.py` after `change_impact` is built. Returns a `BadPeriod`: what the
analysis prices against, and in words why those two changes were chosen.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from analyzer.db import Database
from analyzer.engine import Engine
from analyzer.errors import DataError, UsageError
from analyzer.formatting import money

RESTORED_NOTE = ("inferred: the first later change after which every payment gets what the config before "
                 "the bad change gives")


@dataclass(frozen=True)
class BadPeriod:
    campaign_id: str
    bad_change_id: str
    bad_seq: int
    bad_from: datetime
    bad_inferred: bool
    bad_reason: str
    fix_change_id: str | None
    fix_seq: int | None
    fix_from: datetime | None
    fix_inferred: bool
    fix_note: str
    warnings: tuple[str, ...] = ()


def _version(db: Database, change_id: str) -> tuple[str, int, datetime] | None:
    return db.one("SELECT campaign_id, version_seq, valid_from FROM config_versions WHERE change_id = ?", [change_id])


def choose_bad_change(db: Database, bad_change: str | None) -> tuple[str, bool, str, tuple[str, ...]]:
    """(change_id, inferred, reason, warnings): the named change, or the best-supported one."""
    if bad_change is not None:
        if _version(db, bad_change) is None:
            known = [r[0] for r in db.rows("SELECT change_id FROM config_versions ORDER BY valid_from")]
            near = difflib.get_close_matches(bad_change, known, n=1)
            raise UsageError(f"--bad-change {bad_change!r}: no such change of a campaign"
                             + (f"; did you mean {near[0]}?" if near else f" (changes: {', '.join(known[-8:])})"))
        evidence = db.scalar("SELECT evidence FROM change_impact WHERE change_id = ?", [bad_change])
        return bad_change, False, f"named with --bad-change; evidence: {evidence}", named_warnings(db, bad_change)
    top = db.dicts("SELECT change_id, score, evidence FROM change_impact WHERE score > 0 ORDER BY rank LIMIT 2")
    if not top:
        raise DataError("no config change introduced excess against the version before it; "
                        "name the bad change with --bad-change")
    best = top[0]
    reason = f"inferred: ranked first of {db.scalar('SELECT count(*) FROM change_impact')} changes by excess introduced and risk signals ({best['evidence']})"
    if len(top) > 1:
        reason += f"; next best {top[1]['change_id']} scored {top[1]['score'] / best['score']:.1%} of it"
    return best["change_id"], True, reason, ()


# A named bad change that explains this many times less excess than the best-ranked is doubtful.
DOUBTFUL_RATIO = 10


def named_warnings(db: Database, change_id: str) -> tuple[str, ...]:
    """What makes a named bad change doubtful: it is a rollback, it introduced no excess, or
    far less than the change the ranking puts first."""
    row = db.dicts_file("analysis/named_change", {"change_id": change_id})[0]
    out = []
    if row["restored_version"] is not None or row["action"] == "rollback":
        back = f" (it brings back the config of {row['restored_version']})" if row["restored_version"] else ""
        out.append(f"{change_id} is a rollback{back}, not a change that introduced the bad config")
    best, best_excess, excess = row["best_change_id"], row["best_excess"], row["excess_introduced"]
    if best is not None and best != change_id and excess is not None:
        if excess <= 0:
            out.append(f"you named {change_id}, which introduced no excess against its previous version "
                       f"({money(excess)}); {best} introduced {money(best_excess)}")
        elif best_excess >= excess * DOUBTFUL_RATIO:
            times = (best_excess / excess).quantize(Decimal("1"))
            out.append(f"you named {change_id}; {best} introduced {money(best_excess)} against its previous "
                       f"version, {times:,}x more")
    return tuple(out)


def choose_fix_change(db: Database, bad_change_id: str, fix_change: str | None,
                      payments: Engine | None = None) -> tuple[str | None, bool, str]:
    """(change_id or None, inferred, note): the named fix, or the first later change of the
    campaign after which it behaves as intended again (a still-wrong partial fix is skipped).
    The candidates are tested on the payments where they are (`payments`: DuckDB or Spark)."""
    campaign_id, bad_seq, bad_from = _version(db, bad_change_id)
    if fix_change is not None:
        found = _version(db, fix_change)
        if found is None:
            raise UsageError(f"--fix-change {fix_change!r}: no such change_id in config_changes")
        if found[0] != campaign_id or found[1] <= bad_seq:
            raise UsageError(f"--fix-change {fix_change!r} must be a later change of campaign {campaign_id} "
                             f"(it is a change of {found[0]}" + (f", before {bad_change_id})" if found[0] == campaign_id
                                                                   else ")"))
        return fix_change, False, "named with --fix-change"
    first = db.dicts_file("analysis/fix_restores", {"campaign_id": campaign_id, "bad_seq": bad_seq})[:1]
    if first and first[0]["restores"]:
        # the next change puts back the very config from before the bad change: no payment to test
        return first[0]["change_id"], True, RESTORED_NOTE
    candidates = (payments or db).dicts_file("analysis/fix_candidates", {"campaign_id": campaign_id, "bad_seq": bad_seq})
    skipped = []
    for c in candidates:
        if c["payments_over"] == 0 and c["payments_under"] == 0:
            note = RESTORED_NOTE
            if skipped:
                note += f" (skipped partial fixes still over-discounting: {', '.join(skipped)})"
            return c["change_id"], True, note
        if c["payments_over"] > 0:
            skipped.append(f"{c['change_id']} ({c['payments_over']} payments over)")
    for c in candidates:
        if c["payments_over"] == 0:
            return c["change_id"], True, ("inferred: the first later change that stops the over-discount "
                                         f"(it gives {c['payments_under']} payments less than intended)")
    return None, True, "no later change restores the intended behaviour: the bad period is still open in the data"


def fix_warnings(db: Database | Engine, campaign_id: str, bad_seq: int, fix_id: str | None,
                 named: bool) -> tuple[str, ...]:
    """A named fix after which payments still get more than the config before the bad change."""
    if not named or fix_id is None:
        return ()
    rows = [c for c in db.dicts_file("analysis/fix_candidates", {"campaign_id": campaign_id, "bad_seq": bad_seq})
            if c["change_id"] == fix_id]
    if rows and rows[0]["payments_over"]:
        return (f"you named {fix_id} as the fix, but {rows[0]['payments_over']:,} payments since the bad change "
                "get more under it than under the config before the bad change",)
    return ()


def bad_period(db: Database, bad_change: str | None, fix_change: str | None, *, strict: bool = False,
               payments: Engine | None = None) -> BadPeriod:
    bad_id, bad_inferred, bad_reason, warnings = choose_bad_change(db, bad_change)
    campaign_id, bad_seq, bad_from = _version(db, bad_id)
    fix_id, fix_inferred, fix_note = choose_fix_change(db, bad_id, fix_change, payments)
    warnings += fix_warnings(payments or db, campaign_id, bad_seq, fix_id, named=fix_change is not None)
    if strict and warnings:
        raise DataError("; ".join(warnings) + " (--strict)")
    fix_seq = fix_from = None
    if fix_id is not None:
        _, fix_seq, fix_from = _version(db, fix_id)
    return BadPeriod(campaign_id, bad_id, bad_seq, bad_from, bad_inferred, bad_reason,
                     fix_id, fix_seq, fix_from, fix_inferred, fix_note, warnings)
