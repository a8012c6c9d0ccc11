"""The post-mortem document: written once from the analysis, then the team's.

`analyzer postmortem init --db FILE` writes `postmortem.md` beside the database: TOML front
matter (title, severity suggested from the money and the users, status, owner, incident
commander, dates) and Markdown prefilled from the analysis: executive summary, impact, the
milestones with their durations and order checks, root cause and contributing factors (the bad
change's diff and risk signals), what went well and badly (detection and mitigation times),
decisions (no clawback: the platform bears the excess), action items (from the guardrail
replay), customer follow-up (scam reports, the remediation lists). Every number taken from the
analysis is marked, `<!-- fig:excess_total -->3,983,545.31<!-- /fig -->`.

`analyzer report` (and `analyzer postmortem refresh`) refresh only the marked figures, in
place, and never touch anything else: a person's text survives re-analysis. A marked figure
that changed, and any sentence that quotes its old value outside a marker, are reported as
warnings naming the line. The report puts the document first, its Markdown rendered: as is in
incident_report.md (it is the team's text), and in incident_report.html by a Markdown renderer
that escapes raw HTML and draws no images, so nothing but Markdown reaches the page. Every
value from the data that the generated text holds is escaped as Markdown when it is written.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from analyzer.analysis.summary import load_summary
from analyzer.db import Database
from analyzer.errors import InputError, UsageError
from analyzer.formatting import count, duration, instant, money
from analyzer.report.files import write_text
from analyzer.report.markdown import cell, prose

NAME = "postmortem.md"
FRONT = "+++"
MARKER = re.compile(r"<!-- fig:(?P<key>[a-z0-9_]+) -->(?P<value>.*?)<!-- /fig -->")
COMMENT = re.compile(r"<!--.*?-->", re.S)
STATUSES = ("draft", "in review", "final")
# Severity suggested from the money and the users (the team's own scale may differ: it is editable).
SEVERITY_RULES = (("SEV-1", Decimal("1000000"), 10_000), ("SEV-2", Decimal("100000"), 1_000),
                  ("SEV-3", Decimal("10000"), 100))


def default_path(db_path: str | Path) -> Path:
    """`postmortem.md` in the database's directory."""
    return Path(db_path).resolve().with_name(NAME)


# --- figures -----------------------------------------------------------------------------------
def _pct(part: Any, whole: Any) -> str:
    if not part or not whole:
        return "0.0%"
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal('0.1'))}%"


def suggested_severity(excess: Any, users: Any) -> tuple[str, str]:
    """(severity, why) from the gross excess and the affected users."""
    excess = Decimal(excess or 0)
    users = int(users or 0)
    for sev, money_at, users_at in SEVERITY_RULES:
        if excess >= money_at or users >= users_at:
            why = (f"excess {money(excess)} ≥ {money(money_at)}" if excess >= money_at
                   else f"{count(users)} affected users ≥ {count(users_at)}")
            return sev, why
    return "SEV-4", f"excess {money(excess)} and {count(users)} affected users are below every threshold"


def figures(db: Database) -> dict[str, str]:
    """Every figure a post-mortem may mark, as the document shows it (Markdown-safe text)."""
    s = load_summary(db)
    tz = s.get("display_tz") or "UTC"
    f: dict[str, str] = {}
    for key in ("excess_total", "net_excess_total", "excess_after_fix", "exploiters_excess_total",
                "peak_minute_excess"):
        f[key] = money(s.get(key))
    for key in ("affected_users", "affected_txns", "affected_merchants", "exploiters", "fully_refunded_txns",
                "scam_reports", "scam_reports_linked", "scam_reporters_affected", "lagged_payments",
                "milestone_order_issues"):
        f[key] = count(s.get(key))
    f["notify_users"] = count((s.get("affected_users") or 0) - (s.get("exploiters") or 0))
    f["exploiters_share"] = _pct(s.get("exploiters_excess_total"), s.get("excess_total"))
    for key in ("first_affected_at", "last_affected_at", "config_window_start", "config_window_end", "first_alert_at",
                "first_ack_at", "declared_at", "resolved_at", "communicated_at", "first_scam_report_at"):
        f[key] = instant(s.get(key), tz, millis=False)
    for key in ("time_to_detect_s", "time_to_acknowledge_s", "time_to_declare_s", "time_to_mitigate_s",
                "time_to_resolve_s", "time_to_communicate_s", "time_to_first_scam_report_s", "exposure_s",
                "config_window_s", "propagation_lag_start_s", "propagation_lag_end_s"):
        f[key.removesuffix("_s")] = duration(s.get(key))
    f["severity_suggested"] = suggested_severity(s.get("excess_total"), s.get("affected_users"))[0]
    f["scam_domains"] = prose(", ".join(f"{d} ({count(n)})" for d, n in _grouped(db, "domains")) or "none")
    f["scam_phrases"] = prose(", ".join(f"\u201c{p}\u201d ({count(n)})" for p, n in _grouped(db, "phrases")) or "none")
    if db.has_table("milestones"):
        for m in db.dicts("SELECT milestone, ts, since_impact_start_s FROM milestones"):
            f[f"milestone_{m['milestone']}_at"] = instant(m["ts"], tz, millis=False)
            f[f"milestone_{m['milestone']}_after"] = duration(m["since_impact_start_s"])
    for n, o in enumerate(guardrail_outcomes(db), 1):
        f[f"guardrail_{n}_saved"] = money(o.excess_prevented)
    return f


# What each kind of guardrail asks of the platform, as an action item of the post-mortem.
GUARDRAIL_ACTIONS = {
    "per_payment_cap": "Enforce a per-payment discount cap in the pricing service",
    "per_user_budget": "Enforce a per-user discount budget per campaign and day",
    "burn_rate": "Pause a campaign automatically when its discount burn rate jumps",
    "change_approval": "Require a second approver for risky changes to live campaigns",
    "scene_allowlist": "Keep a scene allow-list per campaign that a config change cannot widen alone",
}


def guardrail_outcomes(db: Database) -> tuple:
    """The replay of the default rule set (analyzer.guardrails.replay): what each rule would have saved."""
    from analyzer.guardrails.replay import replay_default

    return tuple(replay_default(db).outcomes)


def _grouped(db: Database, column: str) -> list[tuple[str, int]]:
    if not db.has_table("scam_reports"):
        return []
    return [(v, n) for v, n in db.rows(f"SELECT v, count(*) AS n FROM (SELECT unnest({column}) AS v FROM scam_reports "
                                       "WHERE after_bad_change) GROUP BY v ORDER BY n DESC, v")]


def fig(key: str, figs: dict[str, str]) -> str:
    return f"<!-- fig:{key} -->{figs[key]}<!-- /fig -->"


# --- the document ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Change:
    """A marked figure whose value changed at a refresh."""

    key: str
    old: str
    new: str
    line: int
    sentence: str


@dataclass(frozen=True)
class Postmortem:
    path: Path
    meta: dict[str, Any]
    body: str  # Markdown, the markers and comments stripped (their values kept)
    changes: tuple[Change, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or "Post-mortem")

    @property
    def changed(self) -> tuple[tuple[str, str, str], ...]:
        """(figure, old, new), once each, in the order first seen."""
        return tuple(dict.fromkeys((c.key, c.old, c.new) for c in self.changes))


def split(text: str, path: Path) -> tuple[str, str, int]:
    """(front matter TOML, body, the body's first line number)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != FRONT:
        return "", text, 1
    for n, line in enumerate(lines[1:], start=1):
        if line.strip() == FRONT:
            return "\n".join(lines[1:n]), "\n".join(lines[n + 1:]), n + 2
    raise InputError(f"the front matter opened by {FRONT} on line 1 is never closed", path=str(path))


def parse_meta(front: str, path: Path) -> dict[str, Any]:
    try:
        meta = tomllib.loads(front)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"the front matter is not valid TOML: {exc}", path=str(path)) from exc
    return meta


def strip_markup(body: str) -> str:
    """The body as people read it: figure markers replaced by their values, comments dropped."""
    return COMMENT.sub("", MARKER.sub(lambda m: m.group("value"), body))


def _sentence(line: str, start: int, end: int) -> str:
    """The sentence around [start, end) of a line (a table's whole row), markers stripped, for a warning."""
    if line.lstrip().startswith("|"):
        return " ".join(strip_markup(line).split())
    left = max(line.rfind(". ", 0, start), line.rfind("| ", 0, start))
    right_candidates = [i for i in (line.find(". ", end), line.find(" |", end)) if i >= 0]
    right = min(right_candidates) if right_candidates else len(line)
    return strip_markup(line[left + 2 if left >= 0 else 0:right + 1]).strip()


def _quotes(value: str) -> re.Pattern[str] | None:
    """A pattern for `value` quoted as a whole token (not inside a longer number), or None when the
    value is too plain to tell a quote of it from chance (fewer than three digits)."""
    if sum(ch.isdigit() for ch in value) < 3:
        return None
    return re.compile(r"(?<![\w.,:])" + re.escape(value) + r"(?![\w:]|[.,]\d)")


def refresh_text(text: str, figs: dict[str, str], path: Path) -> tuple[str, list[Change], list[str]]:
    """The document with every marked figure set to its current value; (text, changes, warnings)."""
    front, _, first_body_line = split(text, path)
    lines = text.split("\n")
    changes: list[Change] = []
    warnings: list[str] = []
    for i, line in enumerate(lines):
        if i + 1 < first_body_line or "<!-- fig:" not in line:
            continue

        def sub(m: re.Match[str], i: int = i, line: str = line) -> str:
            key, old = m.group("key"), m.group("value")
            if key not in figs:
                warnings.append(f"{path}:{i + 1}: unknown figure fig:{key}; left as it is")
                return m.group(0)
            new = figs[key]
            if new != old:
                changes.append(Change(key, old, new, i + 1, _sentence(line, m.start(), m.end())))
            return f"<!-- fig:{key} -->{new}<!-- /fig -->"

        lines[i] = MARKER.sub(sub, line)
    for c in changes:
        warnings.append(f"{path}:{c.line}: {c.key} changed from {c.old} to {c.new} in: \u201c{c.sentence}\u201d; "
                        "check that the sentence still holds")
    # a person may have quoted a figure in their own words, outside any marker
    for key, old in {c.key: c.old for c in changes}.items():
        pattern = _quotes(old)
        if pattern is None:
            continue
        for i, line in enumerate(lines):
            outside = MARKER.sub(lambda m: " " * len(m.group(0)), line)
            for m in pattern.finditer(outside):
                warnings.append(f"{path}:{i + 1}: quotes {old} ({key}), which is now {figs[key]}: "
                                f"\u201c{_sentence(line, m.start(), m.end())}\u201d")
    return "\n".join(lines), changes, warnings


def load(path: Path) -> tuple[str, Postmortem]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no post-mortem here (write one with `analyzer postmortem init`)", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the post-mortem: {exc}", path=str(path)) from exc
    front, body, _ = split(text, Path(path))
    return text, Postmortem(path=Path(path), meta=parse_meta(front, Path(path)), body=strip_markup(body))


def refresh(db: Database, path: Path, *, write: bool = True) -> Postmortem:
    """Refresh the marked figures of the post-mortem at `path` from the analysis (in place when
    `write` and something changed); the document with the changes and warnings."""
    text, _ = load(path)
    new_text, changes, warnings = refresh_text(text, figures(db), Path(path))
    if write and new_text != text:
        write_text(Path(path), new_text)
    front, body, _ = split(new_text, Path(path))
    return Postmortem(path=Path(path), meta=parse_meta(front, Path(path)), body=strip_markup(body),
                      changes=tuple(changes), warnings=tuple(warnings))


# --- writing the first draft ---------------------------------------------------------------------
def _toml_string(value: str) -> str:
    out = ['"']
    for ch in str(value):
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out) + '"'


def _diff_text(diff: list[dict] | None) -> str:
    return "; ".join(f"{d['field']} {d['before'] or 'null'} → {d['after'] or 'null'}" for d in diff or [])


@dataclass
class _Draft:
    db: Database
    s: dict[str, Any]
    figs: dict[str, str]
    tz: str
    lines: list[str] = field(default_factory=list)

    def f(self, key: str) -> str:
        return fig(key, self.figs)

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)


def render_init(db: Database, db_path: Path) -> str:
    """The first draft of the post-mortem, from the analysis."""
    s = load_summary(db)
    tz = s.get("display_tz") or "UTC"
    figs = figures(db)
    d = _Draft(db, s, figs, tz)
    bad = (db.dicts_file("report/change", {"change_id": s["bad_change_id"]}) or [{}])[0]
    milestones = db.dicts("SELECT * FROM milestones ORDER BY position") if db.has_table("milestones") else []
    guardrails = guardrail_outcomes(db)
    severity, why = suggested_severity(s.get("excess_total"), s.get("affected_users"))
    when = instant(s.get("config_window_start") or s.get("first_affected_at"), tz, millis=False)
    day = (s.get("config_window_start") or s.get("first_affected_at") or "")[:10]
    local_day = when[:10] if when != "-" else day
    title = f"Erroneous discount on {s['campaign_id']}, {local_day}"
    e = prose  # every value from the data goes through it

    # front matter ------------------------------------------------------------------------
    d.add(FRONT,
          f"# The post-mortem of {Path(db_path).name}, written by `analyzer postmortem init`. It is yours to edit.",
          "# `analyzer report` puts it first in the incident report and refreshes only the figures marked",
          "# <!-- fig:NAME -->value<!-- /fig --> below (delete a marker to keep a number of your own); it never",
          "# rewrites anything else, and it warns when a figure you quote has changed.",
          f"title = {_toml_string(title)}",
          f"severity = {_toml_string(severity)}  # suggested by the analyzer: {why}; yours to grade",
          'status = "draft"  # draft, in review, final',
          'owner = ""',
          'incident_commander = ""',
          f"incident_date = {local_day}" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", local_day) else 'incident_date = ""',
          'review_meeting = ""  # YYYY-MM-DD',
          f"database = {_toml_string(Path(db_path).name)}",
          FRONT, "")

    # executive summary ---------------------------------------------------------------------
    approval = "without an approver" if not bad.get("approver") else f"approved by {e(bad['approver'])}"
    d.add("## Executive summary", "")
    d.add(f"On {d.f('config_window_start')}, {e(bad.get('actor') or 'someone')} changed campaign "
          f"{e(s['campaign_id'])} ({e(s['bad_change_id'])}, ticket {e(bad.get('ticket') or 'none')}, {approval}): "
          f"{e(_diff_text(bad.get('diff')))}. "
          f"Until the rollback and the pricing nodes caught up ({d.f('exposure')}), {d.f('affected_txns')} payments of "
          f"{d.f('affected_users')} users got {d.f('excess_total')} more discount than intended "
          f"({d.f('net_excess_total')} net of refunds). {d.f('exploiters')} users flagged as exploiters took "
          f"{d.f('exploiters_excess_total')} ({d.f('exploiters_share')} of it).")
    d.add("")
    d.add(f"It was detected {d.f('time_to_detect')} after the first affected payment, mitigated after "
          f"{d.f('time_to_mitigate')}, declared after {d.f('time_to_declare')} and resolved after "
          f"{d.f('time_to_resolve')}. The platform does not claw the discount back; {d.f('notify_users')} users are "
          "told through official channels that messages asking them to reverse it are scams, after "
          f"{d.f('scam_reporters_affected')} affected users reported such messages.")
    d.add("", "<!-- Say in a sentence or two what the meeting should take away. -->", "")

    # impact ----------------------------------------------------------------------------------
    d.add("## Impact", "", "| figure | value |", "|---|---:|")
    for label, key in (("Affected users", "affected_users"), ("Affected payments", "affected_txns"),
                       ("Affected payees", "affected_merchants"), ("Gross excess", "excess_total"),
                       ("Net excess (fully refunded payments left out)", "net_excess_total"),
                       ("Excess after the rollback (lagging pricing nodes)", "excess_after_fix"),
                       ("Exploiters", "exploiters"), ("Exploiters' excess", "exploiters_excess_total"),
                       ("Scam-message reports", "scam_reports"),
                       ("Affected users who reported scam messages", "scam_reporters_affected")):
        d.add(f"| {label} | {d.f(key)} |")
    d.add("")

    # milestones ------------------------------------------------------------------------------
    d.add("## Milestones", "", "| milestone | time | after the impact start | order |", "|---|---|---:|---|")
    for m in milestones:
        key = m["milestone"]
        order = ("-" if m["order_ok"] is None else "ok" if m["order_ok"] else
                 "⚠ " + cell(m["order_issue"] or "out of order"))
        at, after = d.f(f"milestone_{key}_at"), d.f(f"milestone_{key}_after")
        d.add(f"| {cell(m['label'])} | {at} | {after} | {order} |")
    d.add("")
    if s.get("milestone_order_issues"):
        d.add(f"{d.f('milestone_order_issues')} milestones are recorded before a milestone that must come first: "
              "check the clocks of the tools that logged them.", "")

    # root cause and contributing factors ------------------------------------------------------
    d.add("## Root cause", "")
    d.add(f"The config change {e(s['bad_change_id'])} of {e(s['campaign_id'])} "
          f"({e(bad.get('prev_version') or 'no previous version')} → {e(bad.get('version') or '?')}) by "
          f"{e(bad.get('actor') or 'someone')} went live at {d.f('config_window_start')}: "
          f"{e(_diff_text(bad.get('diff')))}. Every payment priced with it got the new discount.")
    d.add("", "<!-- Why was the change made, and why was it wrong? Ask the five whys here. -->", "")
    d.add("## Contributing factors", "")
    factors = []
    if not bad.get("approver"):
        factors.append("No approver is recorded for the change.")
    if bad.get("type_changed"):
        factors.append(f"The discount type changed ({e(bad.get('prev_discount_type'))} → "
                       f"{e(bad.get('discount_type'))}) in what was filed as a routine update.")
    if bad.get("cap_removed"):
        factors.append("The cap per payment was removed.")
    elif bad.get("discount_type") == "percent" and bad.get("max_discount") is None:
        factors.append("The percentage discount has no cap per payment.")
    if bad.get("scenes_widened_to_all"):
        factors.append("The eligible scenes were widened to every scene, transfers and card repayments included.")
    if bad.get("min_removed"):
        factors.append("The minimum amount was removed.")
    if s.get("propagation_lag_end_s") and s["propagation_lag_end_s"] > 0:
        factors.append(f"Pricing nodes lag behind the console: the last affected payment came "
                       f"{d.f('propagation_lag_end')} after the rollback ({d.f('excess_after_fix')} of excess after "
                       "the fix).")
    d.add(*(f"- {x}" for x in factors or ["None of the risk signals the analyzer knows was present."]))
    d.add("", "<!-- Add what the logs cannot show: process, tooling, context. -->", "")

    # what went well / badly --------------------------------------------------------------------
    well, badly = [], []
    detect, mitigate = s.get("time_to_detect_s"), s.get("time_to_mitigate_s")
    if detect is not None:
        (well if detect <= 300 else badly).append(
            f"The first alert came {d.f('time_to_detect')} after the first affected payment.")
    else:
        badly.append("No alert fired after the bad change.")
    if mitigate is not None:
        (well if mitigate <= 900 else badly).append(
            f"The rollback went live {d.f('time_to_mitigate')} after the first affected payment.")
    else:
        badly.append("No change restoring the intended config is in the data.")
    declared, mit = s.get("time_to_declare_s"), s.get("time_to_mitigate_s")
    if declared is not None and mit is not None and declared > mit:
        badly.append(f"The incident was declared {d.f('time_to_declare')} after the impact start, after the "
                     "mitigation: the review, finance and customer service heard of it late.")
    if s.get("exploiters"):
        badly.append(f"{d.f('exploiters')} users took {d.f('exploiters_share')} of the excess within minutes.")
    if s.get("scam_reports"):
        badly.append(f"Scam messages followed: {d.f('scam_reports')} reports, the first "
                     f"{d.f('time_to_first_scam_report')} after the impact start"
                     + (f", the official statement {d.f('time_to_communicate')} after it."
                        if s.get("communicated_at") else "; no official statement is recorded."))
    d.add("## What went well", "", *(f"- {x}" for x in well or ["-"]), "",
          "## What went badly", "", *(f"- {x}" for x in badly or ["-"]), "",
          "<!-- Add what the team saw: communication, hand-offs, tools. -->", "")

    # decisions and action items -----------------------------------------------------------------
    d.add("## Decisions", "", "| decision | who | when |", "|---|---|---|",
          f"| No clawback: the platform bears the excess of {d.f('excess_total')} ({d.f('net_excess_total')} net of "
          "refunds). | | |",
          f"| The {d.f('exploiters')} flagged users go to risk review (exploiters.csv). | | |",
          f"| The {d.f('notify_users')} other affected users are told through official channels that "
          "\u201cdiscount reversal\u201d messages are scams (notify.csv, notify_merchants.csv). | | |", "")
    d.add("## Action items", "", "| # | action | owner | due | status | guardrail |", "|---:|---|---|---|---|---|")
    n = 0
    for position, g in enumerate(guardrails, 1):
        if not g.excess_prevented:
            continue
        n += 1
        action = GUARDRAIL_ACTIONS.get(g.kind, f"Add the guardrail {g.name}")
        saved = d.f(f"guardrail_{position}_saved")
        d.add(f"| {n} | {e(action)} | | | open | {e(g.name)}: would have saved {saved} |")
    for action in ("Alert on the discount rate of each campaign, not only on volume",
                   "Send the official messages of notify.csv and notify_merchants.csv",
                   "Report the look-alike domains of the scam messages for takedown"):
        n += 1
        d.add(f"| {n} | {action} | | | open | |")
    d.add("", "<!-- Give every action an owner and a due date (YYYY-MM-DD); status: open, in progress, done. -->", "")

    # customer follow-up --------------------------------------------------------------------------
    d.add("## Customer follow-up", "")
    d.add(f"{d.f('scam_reports')} scam-message reports since the bad change, {d.f('scam_reports_linked')} of them "
          f"from {d.f('scam_reporters_affected')} affected users; the first at {d.f('first_scam_report_at')}, the "
          f"official statement at {d.f('communicated_at')}. Reported domains: {d.f('scam_domains')}. "
          f"Phrases: {d.f('scam_phrases')}.")
    d.add("", f"The remediation lists beside the report: exploiters.csv ({d.f('exploiters')} users, for risk "
          f"review), notify.csv ({d.f('notify_users')} users, the official message in Chinese and English with a "
          "reference number), notify_merchants.csv (the merchants paid in affected payments).", "")
    d.add("<!-- Record what was sent, when, through which channel, and what customers answered. -->", "")
    return "\n".join(d.lines)


def init(db: Database, db_path: Path, out: Path | None = None, *, force: bool = False) -> Path:
    """Write the first draft of the post-mortem (refusing to overwrite one unless `force`)."""
    path = Path(out) if out is not None else default_path(db_path)
    if path.exists() and not force:
        raise UsageError(f"{path} exists: it holds the team's text, so it is not overwritten. `analyzer report` "
                         "refreshes its figures; pass --force to start over")
    return write_text(path, render_init(db, db_path) + "\n")


def meta_rows(pm: Postmortem) -> list[tuple[str, str]]:
    """The front matter's fields as (label, text) rows for the reports' header of the post-mortem."""
    rows = []
    for key in ("severity", "status", "owner", "incident_commander", "incident_date", "review_meeting"):
        value = pm.meta.get(key)
        if isinstance(value, date | datetime):
            value = value.isoformat()
        rows.append((key.replace("_", " "), str(value) if value not in (None, "") else "-"))
    for key, value in pm.meta.items():
        if key not in ("title", "severity", "status", "owner", "incident_commander", "incident_date", "review_meeting",
                       "database") and isinstance(value, str | int | float | date):
            rows.append((str(key).replace("_", " "), str(value)))
    return rows


def render_html_body(body: str) -> str:
    """The team's Markdown as HTML: raw HTML escaped, no images (the page opens offline)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").disable("image")
    return md.render(body)
