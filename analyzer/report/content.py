"""What the incident report says, computed once for both documents (HTML and Markdown).

Called by `write_reports`; `html.py` and `markdown.py` only lay it out. Everything is read from
the derived tables (and the guardrails' replay, analyzer/guardrails/replay.py) and turned
into display text here, with `analyzer.formatting`: money exact to the cent, instants in the
incident's zone with their offset. User and payee ids are masked in SQL (`pseudonym()`) when
the documents are masked. Nothing here depends on the clock, so the same database gives the
same documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath
from typing import Any

import polars as pl

from analyzer import __version__
from analyzer.db import Database
from analyzer.formatting import count, duration, instant, money
from analyzer.guardrails.replay import replay
from analyzer.guardrails.rules import RuleSet, load_rules
from analyzer.report import Masking
from analyzer.report.exports import expand_template
from analyzer.analysis.summary import load_summary

TOP_USERS = 10
TOP_EXPLOITERS = 20
TOP_MERCHANTS = 10
MAX_TIMELINE_ROWS = 300
CONFIG_FIELDS = ("discount_type", "discount_value", "max_discount", "min_amount", "scenes", "enabled")


@dataclass(frozen=True)
class Table:
    """Display rows: every cell is text already; `numeric` says which columns align right."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    note: str = ""

    @staticmethod
    def of(columns: list[tuple[str, bool]], rows: list[list[Any]], note: str = "") -> Table:
        return Table(tuple(c for c, _ in columns), tuple(tuple(_text(v) for v in r) for r in rows),
                     tuple(n for _, n in columns), note)


@dataclass(frozen=True)
class Change:
    """A config change as the review meeting reads it."""

    change_id: str
    campaign_id: str
    action: str
    version: str
    prev_version: str | None
    at: str
    actor: str
    approver: str
    ticket: str
    before: str
    after: str
    diff: Table
    evidence: str


@dataclass(frozen=True)
class Charts:
    """The frames behind the charts (drawn by analyzer.charts in figures.py)."""

    minute: pl.DataFrame = field(compare=False)
    second: pl.DataFrame = field(compare=False)
    timeline: pl.DataFrame = field(compare=False)
    scenes: pl.DataFrame = field(compare=False)
    merchants: pl.DataFrame = field(compare=False)
    summary: dict = field(compare=False)
    scam_reports: pl.DataFrame = field(compare=False, default_factory=pl.DataFrame)


@dataclass(frozen=True)
class ReportContent:
    title: str
    subtitle: str
    tz: str
    masking: Masking
    masking_note: str
    story: tuple[str, ...]
    key_figures: Table
    bad_change: Change
    fix_change: Change | None
    timeline: Table
    milestones: Table
    milestones_note: str
    followup: Table
    scam_domains: Table
    scam_phrases: Table
    followup_note: str
    remediation: Table
    messages: Table
    reviewer_notes: Table
    scenes: Table
    merchants: Table
    top_users: Table
    exploiters: Table
    exploiters_note: str
    guardrails: Table
    guardrails_note: str
    guardrails_notes: tuple[str, ...]
    files: Table
    rejects: Table
    quality_notes: tuple[str, ...]
    checks: Table
    inputs: Table
    parameters: Table
    footer: str
    charts: Charts = field(compare=False)
    alerts: tuple[str, ...] = ()  # first thing on the first page: a stale analysis, doubts about named changes
    postmortem: Any = None  # analyzer.report.postmortem.Postmortem, put first when there is one


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, int):
        return count(value)
    return str(value)


def _value(v: Decimal | None) -> str:
    """A config value (DECIMAL(18,4)) without trailing zeros: 20.0000 -> '20', 0.5000 -> '0.5'."""
    if v is None:
        return "-"
    return f"{Decimal(v).normalize():f}"


def describe_config(row: dict[str, Any] | None) -> str:
    """'fixed 0.50 off, from 5.00, on food_delivery, groceries, shopping' and the like."""
    if not row:
        return "no config"
    if not row["enabled"]:
        return "disabled"
    kind = row["discount_type"]
    if kind == "none":
        return "no discount"
    if kind == "fixed":
        text = f"a fixed {money(row['discount_value'])} off"
    else:
        text = f"{_value(row['discount_value'])}% off"
        text += f", capped at {money(row['max_discount'])}" if row["max_discount"] is not None else ", no cap"
    text += f", for amounts from {money(row['min_amount'])}" if row["min_amount"] is not None else ", no minimum amount"
    scenes = row["scenes"] or []
    text += ", on every scene" if "*" in scenes else f", on {', '.join(sorted(scenes))}"
    return text


def _change(db: Database, change_id: str | None, tz: str) -> Change | None:
    if change_id is None:
        return None
    rows = db.dicts_file("report/change", {"change_id": change_id})
    if not rows:
        return None
    v = rows[0]
    prev = {field: v[f"prev_{field}"] for field in CONFIG_FIELDS} if v["prev_change_id"] else None
    diff = Table.of([("field", False), ("before", False), ("after", False)],
                    [[d["field"], d["before"] or "null", d["after"] or "null"] for d in v["diff"] or []])
    return Change(change_id=change_id, campaign_id=v["campaign_id"], action=v["action"] or "-", version=v["version"],
                  prev_version=v["prev_version"], at=instant(v["valid_from"], tz), actor=v["actor"] or "unknown",
                  approver=v["approver"] or "none", ticket=v["ticket"] or "none",
                  before=describe_config(prev), after=describe_config(v),
                  diff=diff, evidence=v["evidence"] or "")


def _n(n: int | None, noun: str, plural: str | None = None) -> str:
    """'1 payment', '2 payments' (with thousands separators)."""
    return f"{count(n)} {noun if n == 1 else (plural or noun + 's')}"


def _share(part: Decimal | None, whole: Decimal | None) -> str:
    if not part or not whole:
        return "0%"
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal('0.1'))}%"


def _story(s: dict[str, Any], bad: Change, fix: Change | None, tz: str) -> tuple[str, ...]:
    approval = "without an approver" if bad.approver == "none" else f"approved by {bad.approver}"
    first = (f"At {bad.at}, {bad.actor} changed campaign {bad.campaign_id} ({bad.change_id}, ticket {bad.ticket}, "
             f"{approval}) from {bad.before} to {bad.after}")
    if fix is not None:
        first += (f"; {fix.actor} rolled it back with {fix.change_id} at {fix.at}, "
                  f"{duration(s['config_window_s'])} later.")
    else:
        first += "; the data shows no change that restores the intended behaviour yet."
    if s["affected_txns"]:
        second = (f"Between {instant(s['first_affected_at'], tz)} and {instant(s['last_affected_at'], tz)} "
                  f"({duration(s['exposure_s'])}"
                  + (f", of which {duration(s['propagation_lag_end_s'])} after the rollback while pricing nodes "
                     "caught up" if s["propagation_lag_end_s"] is not None and s["propagation_lag_end_s"] > 0 else "")
                  + f"), {_n(s['affected_txns'], 'payment')} of {_n(s['affected_users'], 'user')} at "
                  f"{_n(s['affected_merchants'], 'payee')} got {money(s['excess_total'])} more discount than intended "
                  f"({money(s['net_excess_total'])} net of {_n(s['fully_refunded_txns'], 'fully refunded payment')}).")
    else:
        second = "No payment got a discount different from the intended config."
    if s["first_alert_at"] is not None:
        third = (f"The first alert (\u201c{s['first_alert_title']}\u201d) came {duration(s['time_to_detect_s'])} after the "
                 "first affected payment")
    else:
        third = "No alert was recorded after the bad change"
    if s["time_to_mitigate_s"] is not None:
        third += f", the rollback {duration(s['time_to_mitigate_s'])} after it"
    if s["exploiters"]:
        third += (f"; {_n(s['exploiters'], 'user')} flagged as exploiters took {money(s['exploiters_excess_total'])} "
                  f"({_share(s['exploiters_excess_total'], s['excess_total'])} of the excess).")
    else:
        third += "; no user was flagged as an exploiter."
    return first, second, third


def _key_figures(s: dict[str, Any], tz: str) -> Table:
    rows = [
        ["Affected users", count(s["affected_users"]), "users with at least one payment whose discount differs from the intended config"],
        ["Affected payments", count(s["affected_txns"]),
         f"{count(s['over_discounted_txns'])} over-discounted, {count(s['under_discounted_txns'])} under-discounted"],
        ["Affected payees", count(s["affected_merchants"]), "merchants and people paid"],
        ["Gross excess", money(s["excess_total"]), "discount given minus discount intended, all affected payments"],
        ["Net excess", money(s["net_excess_total"]),
         f"without {_n(s['fully_refunded_txns'], 'fully refunded payment')} "
         f"({count(s['partially_refunded_txns'])} partially refunded stay in)"],
        ["Excess after the rollback", money(s["excess_after_fix"]), "priced by lagging nodes after the fix change"],
        ["Exposure", duration(s["exposure_s"]),
         f"first to last affected payment: {instant(s['first_affected_at'], tz)} to {instant(s['last_affected_at'], tz)}"],
        ["Config window", duration(s["config_window_s"]),
         f"bad change to fix change: {instant(s['config_window_start'], tz)} to {instant(s['config_window_end'], tz)}"],
        ["Time to detect", duration(s["time_to_detect_s"]),
         "first affected payment to the first alert" + (f" ({s['first_alert_title']})" if s["first_alert_title"] else "")],
        ["Time to acknowledge", duration(s["time_to_acknowledge_s"]), "first affected payment to the on-call acknowledgement"],
        ["Time to declare", duration(s["time_to_declare_s"]), "first affected payment to the first incident event"],
        ["Time to mitigate", duration(s["time_to_mitigate_s"]), "first affected payment to the fix change"],
        ["Time to resolve", duration(s["time_to_resolve_s"]), "first affected payment to the resolution event"],
        ["Time to communicate", duration(s["time_to_communicate_s"]), "first affected payment to the official statement"],
        ["Propagation lag (start)", duration(s["propagation_lag_start_s"]), "bad change to the first affected payment"],
        ["Propagation lag (end)", duration(s["propagation_lag_end_s"]), "fix change to the last affected payment"],
        ["Peak minute excess", money(s["peak_minute_excess"]), f"excess in the minute from {instant(s['peak_minute'], tz, millis=False)}"],
        ["Exploiters", count(s["exploiters"]), f"flagged users; their excess {money(s['exploiters_excess_total'])}"],
        ["Scam-message reports", count(s["scam_reports"]),
         f"since the bad change; from {_n(s['scam_reporters_affected'], 'affected user')}"],
    ]
    return Table.of([("figure", False), ("value", True), ("what it counts", False)], rows)


def _masked_select(name: str, masking: Masking) -> str:
    return expand_template(name, mask_pii=masking.documents, instants="absolute", lists="list")


def _guardrails(db: Database, rules: RuleSet | None, tz: str) -> tuple[Table, str, tuple[str, ...]]:
    """The replay of the rule set (analyzer.guardrails.replay), as the meeting reads it."""
    result = replay(db, rules or load_rules(None))
    inc = result.incident
    table = Table.of(
        [("rule", False), ("kind", False), ("what it does", False), ("tripped at", False), ("time to trip", True),
         ("payments blocked", True), ("excess prevented", True), ("share prevented", True), ("excess leaked", True),
         ("legitimate discount taken away", True), ("legitimate payments hit", True), ("trips elsewhere", True)],
        [[o.name, o.kind, o.description, instant(o.tripped_at, tz) if o.tripped_at else "did not trip",
          duration(o.time_to_trip_s), o.payments_blocked, o.excess_prevented,
          "-" if o.share_prevented is None else f"{o.share_prevented}%", o.excess_leaked, o.legit_discount_blocked,
          o.legit_payments_blocked, o.trips_elsewhere] for o in result.outcomes])
    note = (f"Each rule of {result.rules.label} is replayed over every one of the {count(inc.payments)} priced "
            f"payments of the analysed campaign(s) and every change of their config, with the analysis's own intended "
            f"discount per payment. At stake: {money(inc.excess_at_stake)}, the over-discount of "
            f"{_n(inc.over_discounted_payments, 'payment')}. Time to trip counts from the bad change; the legitimate "
            "cost is the intended discount a rule takes away, from any payment.")
    if result.recommendation is not None:
        note += " " + result.recommendation.sentence()
    notes = tuple(f"{o.name}: {n}." for o in result.outcomes for n in o.notes)
    return table, note, notes


def _timeline(db: Database, tz: str) -> Table:
    """The timeline rows, older context collapsed into one line; a change seen in several
    sources is one row naming them all."""
    rows = db.dicts("SELECT ts, source, sources, kind, severity, title, detail, role, collapsed FROM timeline "
                    "ORDER BY ordinal")
    older = [r for r in rows if r["collapsed"]]
    kept = [r for r in rows if not r["collapsed"]]
    lines = []
    if older:
        kinds: dict[str, int] = {}
        for r in older:
            what = "config changes" if r["source"] == "config_changes" else f"{r['kind'] or 'event'} events"
            kinds[what] = kinds.get(what, 0) + 1
        lines.append([f"{instant(older[0]['ts'], tz, millis=False)} to {instant(older[-1]['ts'], tz, millis=False)}",
                      "(older context)", "collapsed", "info",
                      f"{_n(len(older), 'earlier row')}: " + ", ".join(f"{count(n)} {k}" for k, n in kinds.items()),
                      "; ".join(r["title"] for r in older[:20]) + ("; …" if len(older) > 20 else "")])
    shown = kept[:MAX_TIMELINE_ROWS]
    lines += [[instant(r["ts"], tz), " + ".join(r["sources"] or [r["source"]]), r["kind"], r["severity"], r["title"],
               r["detail"]] for r in shown]
    note = ""
    if len(kept) > MAX_TIMELINE_ROWS:
        note = f"the first {MAX_TIMELINE_ROWS} of {len(kept)} rows; all of them are in timeline.jsonl"
    elif older:
        note = ("older context is collapsed into the first line (analyze --timeline-context); every row is in "
                "timeline.jsonl")
    return Table.of([("time", False), ("source", False), ("kind", False), ("severity", False), ("what", False),
                     ("detail", False)], lines, note=note)


def _milestones(db: Database, tz: str) -> tuple[Table, str]:
    rows = db.dicts("SELECT * FROM milestones ORDER BY position")
    table = Table.of(
        [("milestone", False), ("time", False), ("after the impact start", True), ("from", False), ("order", False)],
        [[r["label"], instant(r["ts"], tz), duration(r["since_impact_start_s"]),
          (r["event_title"] or r["ref_id"] or r["source"]) if r["ts"] is not None else "not recorded",
          "-" if r["order_ok"] is None else ("ok" if r["order_ok"] else f"⚠ {r['order_issue']}")] for r in rows])
    issues = [r for r in rows if r["order_ok"] is False]
    note = (f"{_n(len(issues), 'milestone')} recorded before a milestone that must come first: check the clocks of "
            "the tools that logged them." if issues else "Every recorded milestone is in order.")
    missing = [r["label"] for r in rows if r["ts"] is None]
    if missing:
        note += f" Not recorded: {', '.join(missing)}."
    return table, note


def _followup(db: Database, s: dict[str, Any], tz: str) -> tuple[Table, Table, Table, str]:
    rows = [
        ["Scam-message reports since the bad change", count(s.get("scam_reports")), "events of kind scam_report"],
        ["Linked to affected users", count(s.get("scam_reports_linked")),
         "by the reporter's user id, or an affected user id in the text"],
        ["Affected users who reported", count(s.get("scam_reporters_affected")), "distinct affected users"],
        ["People who reported", count(s.get("scam_reporters")), "distinct reporters (user id, or the one the text names)"],
        ["First report", instant(s.get("first_scam_report_at"), tz, millis=False),
         f"{duration(s.get('time_to_first_scam_report_s'))} after the impact start"],
        ["Official statement", instant(s.get("communicated_at"), tz, millis=False),
         f"{duration(s.get('time_to_communicate_s'))} after the impact start"],
    ]
    followup = Table.of([("figure", False), ("value", True), ("what it counts", False)], rows)

    def grouped(column: str, label: str) -> Table:
        found = db.dicts(f"SELECT v, count(*) AS reports, count(DISTINCT linked_user_id) AS affected_users, "
                         f"min(ts) AS first_at, max(ts) AS last_at FROM (SELECT unnest({column}) AS v, linked_user_id, ts "
                         "FROM scam_reports WHERE after_bad_change) GROUP BY v ORDER BY reports DESC, v")
        return Table.of([(label, False), ("reports", True), ("affected users", True), ("first", False), ("last", False)],
                        [[r["v"], r["reports"], r["affected_users"], instant(r["first_at"], tz, millis=False),
                          instant(r["last_at"], tz, millis=False)] for r in found])

    note = ("No scam-message report is recorded." if not s.get("scam_reports") else
            f"{_n(s['scam_reports'], 'scam-message report')} since the bad change, "
            f"{count(s['scam_reports_linked'])} of them from {_n(s['scam_reporters_affected'], 'affected user')}. "
            "The platform's answer is the notify list: every affected user who is not flagged as an exploiter is told "
            "through official channels that the platform will not ask for the discount back, will never send a link "
            "to “reverse” it, and that such messages go to official customer service.")
    return followup, grouped("domains", "domain"), grouped("phrases", "phrase"), note


def _remediation(db: Database, s: dict[str, Any], messages: Any) -> tuple[Table, Table]:
    from analyzer.report.exports import select_sql

    merchants = db.scalar(f"SELECT count(*) FROM ({select_sql('notify_merchants', mask_pii=True)})",
                          {**messages.params(), "tz": s.get("display_tz") or "UTC"})
    rows = [
        ["exploiters.csv", count(s.get("exploiters")), "risk review: the flagged users with their evidence (count and sum "
         "of affected transfers / repayments, excess, time span, payees)"],
        ["notify.csv", count((s.get("affected_users") or 0) - (s.get("exploiters") or 0)),
         "every other affected user: excess kept, a reference number, the official message in Chinese and English"],
        ["notify_merchants.csv", count(merchants), "the merchants paid in affected payments (person-to-person transfer "
         "payees left out), with their message"],
    ]
    table = Table.of([("list", False), ("rows", True), ("what", False)], rows,
                     note="Also as .parquet and .xlsx; user and payee ids masked unless --no-mask-pii. exploiters + "
                          "notify = the affected users, no user in both.")
    previews = Table.of([("template", False), ("text", False)],
                        [[key, text] for key, text in messages.texts.items()],
                        note="The templates are files the team edits (analyzer report --messages DIR); the placeholders "
                             "in braces are filled per user with exact money.")
    return table, previews


def _reviewer_notes(db: Database, masking: Masking, tz: str) -> Table:
    from analyzer.report import notes

    found = notes.load(db, db.path, mask=masking.documents) if db.path != ":memory:" else []
    return Table.of(
        [("when", False), ("who", False), ("about", False), ("star", False), ("tags", False), ("comment", False)],
        [[instant(n.at, tz, millis=False), n.who, f"{n.kind} {n.ref}" + (f": {n.label}" if n.label else ""),
          "★" if n.star else "", ", ".join(n.tags), n.comment] for n in found],
        note="" if found else "no reviewer notes yet (analyzer annotate add, or the dashboard's Review notes page)")


def build_content(db: Database, masking: Masking, rules: RuleSet | None = None,
                  messages: Any = None) -> ReportContent:
    from analyzer.report.messages import load_messages

    messages = messages or load_messages()
    raw = db.dicts("SELECT * FROM incident_summary")[0]
    s = {**raw}
    tz = s["display_tz"] or "UTC"
    bad = _change(db, s["bad_change_id"], tz)
    fix = _change(db, s["fix_change_id"], tz)
    assert bad is not None, "incident_summary names a bad change that config_versions does not hold"

    timeline = _timeline(db, tz)
    milestones, milestones_note = _milestones(db, tz)
    followup, scam_domains, scam_phrases, followup_note = _followup(db, s, tz)
    remediation, message_previews = _remediation(db, s, messages)
    reviewer_notes = _reviewer_notes(db, masking, tz)

    scene_rows = db.dicts("SELECT * FROM affected_scenes ORDER BY excess_total DESC, scene NULLS LAST")
    scenes = Table.of(
        [("scene", False), ("payments", True), ("users", True), ("payees", True), ("amount", True), ("excess", True),
         ("net excess", True), ("share of excess", True)],
        [[r["scene"] or "(none)", r["affected_txns"], r["affected_users"], r["affected_merchants"], r["amount_total"],
          r["excess_total"], r["net_excess_total"], _share(r["excess_total"], s["excess_total"])] for r in scene_rows])

    merchant_rows = db.dicts(_masked_select("top_merchants", masking), {"limit": TOP_MERCHANTS})
    merchants = Table.of(
        [("payee", False), ("payments", True), ("users", True), ("excess", True), ("net excess", True), ("scenes", False)],
        [[_payee(r), r["affected_txns"], r["affected_users"], r["excess_total"], r["net_excess_total"], r["scenes"]]
         for r in merchant_rows])

    user_rows = db.dicts(_masked_select("top_users", masking), {"limit": TOP_USERS})
    top_users = Table.of(
        [("user", False), ("payments", True), ("excess", True), ("net excess", True), ("fully refunded", True),
         ("scenes", False), ("first affected", False), ("exploiter", False)],
        [[r["user_id"], r["affected_txns"], r["excess_total"], r["net_excess_total"], r["fully_refunded_txns"],
          r["scenes"], instant(r["first_affected_at"], tz), r["exploit_flag"]] for r in user_rows],
        note=f"the {_n(len(user_rows), 'user')} with the most excess of {count(s['affected_users'])}; "
             "all of them are in affected_users.csv")

    exploiter_rows = db.dicts(_masked_select("exploiters", masking), {"limit": TOP_EXPLOITERS})
    exploiters = Table.of(
        [("user", False), ("exploit-scene payments", True), ("excess", True), ("net excess", True),
         ("from", False), ("to", False), ("why flagged", False)],
        [[r["user_id"], r["exploit_scene_txns"], r["excess_total"], r["net_excess_total"],
          instant(r["first_affected_at"], tz), instant(r["last_affected_at"], tz), r["exploit_reason"]]
         for r in exploiter_rows],
        note=(f"the {count(len(exploiter_rows))} with the most excess of {_n(s['exploiters'], 'flagged user')}"
              if s["exploiters"] > len(exploiter_rows) else ""))
    exploiters_note = (f"{_n(s['exploiters'], 'user')} flagged as exploiters (many affected transfers or card "
                       f"repayments inside the window); together they got {money(s['exploiters_excess_total'])} of excess, "
                       f"{_share(s['exploiters_excess_total'], s['excess_total'])} of the total.")

    guardrails, guardrails_note, guardrails_notes = _guardrails(db, rules, tz)

    files, rejects, inputs = _data_quality(db)
    quality_notes = (
        f"{_n(s['payments_analyzed'], 'payment')} of the campaign(s) priced; {count(s['lagged_payments'])} priced by a "
        f"lagging node (a version other than the live one); {count(s['version_disagreements'])} whose logged config "
        f"version disagrees with the console.",
        f"Payments no config version explains: {count(s['unexplained_payments'])} (listed in the table "
        "unexplained_payments)." if s["unexplained_payments"] else "Every payment is explained by a config version.",
        f"Loaded rows that a later file contradicts: "
        f"{count(db.scalar('SELECT count(*) FROM disputed') if db.has_table('disputed') else 0)} (table disputed; the "
        "later row is quarantined as a conflicting duplicate).",
    )
    from analyzer.analysis.checks import run_checks

    checks = Table.of([("check", False), ("result", False), ("rule", False)],
                      [[c.name, "skipped" if c.skipped else ("ok" if c.passed else f"FAIL ({count(c.count)} rows)"),
                        c.description] for c in run_checks(db)])
    parameters = Table.of([("parameter", False), ("value", False)], [
        ["campaign(s) analysed", ", ".join(s["campaigns"] or [s["campaign_id"]])],
        ["bad change", f"{s['bad_change_id']}: {s['bad_change_reason']}"],
        ["fix change", f"{s['fix_change_id'] or 'none'}: {s['fix_change_note']}"],
        ["analysis", s.get("analysis_label") or "default"],
        ["currency", s.get("currency") or "not given"],
        ["lag tolerance", duration(s["lag_tolerance_ms"] / 1000)],
        ["display zone", tz],
        ["analysis run", f"{instant(s['analyzed_at'], tz)} by analyzer {s['analyzer_version']}"],
        ["report", f"analyzer {__version__}"],
        ["personal data", masking.describe()],
    ])
    masking_note = ("User and payee ids in this report are pseudonyms (anon-…): stable within this database, "
                    "not reversible without its key." if masking.documents else
                    "User and payee ids in this report are NOT masked: handle it as personal data.")
    footer = (f"Generated by analyzer {__version__} from the analysis run at {instant(s['analyzed_at'], tz)}. "
              "This document depends only on the database: the same database gives the same document. "
              "manifest.json beside it records when it was written and the SHA-256 of every file.")
    when = instant(s["config_window_start"] or s["first_affected_at"], tz, millis=False)
    charts = Charts(
        minute=db.polars("SELECT * FROM minute_metrics ORDER BY minute, campaign_id"),
        second=db.polars("SELECT * FROM second_metrics ORDER BY second, campaign_id"),
        timeline=db.polars("SELECT * FROM timeline ORDER BY ordinal"),
        scenes=db.polars("SELECT coalesce(scene, '(none)') AS scene, excess_total FROM affected_scenes "
                         "ORDER BY excess_total DESC, scene NULLS LAST"),
        merchants=pl.DataFrame(
            {"payee": [_payee(r) for r in merchant_rows if not r["is_others"]],
             "excess_total": [r["excess_total"] for r in merchant_rows if not r["is_others"]]},
            schema={"payee": pl.String, "excess_total": pl.Decimal(18, 2)}),
        summary=load_summary(db),
        scam_reports=db.polars("SELECT ts, linked_user_id, after_bad_change FROM scam_reports ORDER BY ts"))
    return ReportContent(
        title=f"Incident report: campaign {bad.campaign_id}, {when}",
        subtitle=f"analysis {s.get('analysis_label') or 'default'}: bad change {bad.change_id}"
                 + (f", fixed by {fix.change_id}" if fix else ", not fixed in the data")
                 + f"; instants in {tz}" + (f"; amounts in {s['currency']}" if s.get("currency") else ""),
        tz=tz, masking=masking, masking_note=masking_note, story=_story(s, bad, fix, tz), key_figures=_key_figures(s, tz),
        bad_change=bad, fix_change=fix, timeline=timeline, milestones=milestones, milestones_note=milestones_note,
        followup=followup, scam_domains=scam_domains, scam_phrases=scam_phrases, followup_note=followup_note,
        remediation=remediation, messages=message_previews, reviewer_notes=reviewer_notes, scenes=scenes, merchants=merchants, top_users=top_users,
        exploiters=exploiters, exploiters_note=exploiters_note, guardrails=guardrails, guardrails_note=guardrails_note,
        guardrails_notes=guardrails_notes,
        files=files, rejects=rejects, quality_notes=quality_notes, checks=checks, inputs=inputs, parameters=parameters,
        footer=footer, charts=charts, alerts=_alerts(db, s))


def _alerts(db: Database, s: dict[str, Any]) -> tuple[str, ...]:
    """What the reader must know before any figure: a stale analysis, doubts about named changes."""
    from analyzer.analysis.freshness import freshness

    out = []
    fresh = freshness(db)
    if fresh.stale:
        out.append("STALE: " + fresh.message(db.path, s.get("analysis_label") or "default")
                   + ". The figures below are those of the analysis, not of all the data now loaded.")
    out.extend(f"Warning: {w}" for w in s.get("warnings") or [])
    return tuple(out)


def _payee(row: dict[str, Any]) -> str:
    if row["is_others"]:
        return f"{count(row['payees'])} other payees"
    return row["merchant_id"] if row["merchant_id"] is not None else "(no payee)"


def _data_quality(db: Database) -> tuple[Table, Table, Table]:
    rows = db.dicts_file("report/data_quality")
    seen: dict[int, dict[str, Any]] = {}
    reasons = []
    for r in rows:
        seen.setdefault(r["file_id"], r)
        if r["reason"] is not None:
            reasons.append([PurePath(r["path"]).name, r["kind"], r["reason"], r["reason_rows"]])
    files = Table.of(
        [("file", False), ("kind", False), ("format", False), ("read", True), ("loaded", True), ("duplicate", True),
         ("rejected", True), ("read = loaded + duplicate + rejected", False)],
        [[PurePath(r["path"]).name, r["kind"], r["format"], r["rows_read"], r["rows_loaded"], r["rows_duplicate"],
          r["rows_rejected"],
          "ok" if r["rows_read"] == r["rows_loaded"] + r["rows_duplicate"] + r["rows_rejected"] else "MISMATCH"]
         for r in seen.values()])
    rejects = Table.of([("file", False), ("kind", False), ("reason", False), ("rows", True)], reasons,
                       note="" if reasons else "no row was quarantined")
    inputs = Table.of([("file", False), ("kind", False), ("SHA-256", False), ("bytes", True), ("rows read", True)],
                      [[PurePath(r["path"]).name, r["kind"], r["sha256"], r["size_bytes"], r["rows_read"]]
                       for r in seen.values()])
    return files, rejects, inputs
