"""`analyzer lint-change`: may this config change go live?

A proposed change (the same JSON as a line of the config-change log) is read by the ingest's own
reader and validation (into a scratch in-memory database: money exact, zones required), then
checked against an analyzed database, as of the change's instant:

  rules     the change rules of the rule set (change_approval, scene_allowlist, ...: the rules
            that act before going live), run on the proposal exactly as the replay runs them on
            the logged changes: a held or refused change is a `block` finding
  history   the campaign's own versions before it: a first percent discount, a value or a cap
            above anything it had, every scene for the first time, a minimum removed (`warn`)
  what-if   the campaign's payments of the last N hours priced with the proposed config and with
            the live one: how much more discount per hour; `warn` when a burn-rate rule of the
            set would trip at that rate, or a per-payment cap would cut the proposal's discounts

Any `block` finding blocks the change (exit code BLOCKED, so it can gate a config pipeline).
A change without `ts` is linted as proposed just after everything loaded.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from analyzer import sql
from analyzer.analysis.summary import to_json_value
from analyzer.db import Database
from analyzer.errors import AnalyzerError, InputError
from analyzer.formatting import money
from analyzer.guardrails.rules import RuleSet

SEVERITIES = ("block", "warn", "info")
DEFAULT_HOURS = 24
MAX_HOURS = 24 * 366
PROPOSAL_FIELDS = ("change_id", "campaign_id", "ts", "version", "actor", "approver", "ticket", "action",
                   "discount_type", "discount_value", "max_discount", "min_amount", "scenes", "enabled")


@dataclass(frozen=True)
class Finding:
    severity: str  # block | warn | info
    source: str  # the rule's name, "history" or "what-if"
    message: str

    def to_json(self) -> dict[str, str]:
        return {"severity": self.severity, "source": self.source, "message": self.message}


@dataclass(frozen=True)
class WhatIf:
    hours: int
    window_start: datetime
    window_end: datetime
    covered_from: datetime
    payments: int
    logged_discount: Decimal
    current_discount: Decimal
    proposed_discount: Decimal
    payments_more: int

    @property
    def covered_s(self) -> float:
        return max(0.0, (self.window_end - self.covered_from).total_seconds())

    def per_hour(self, amount: Decimal) -> Decimal | None:
        """An amount over the covered window as a rate per hour, to the cent (half away from zero)."""
        ms = int((self.window_end - self.covered_from).total_seconds() * 1000)
        if ms <= 0:
            return None
        return (amount * 3_600_000 / ms).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def to_json(self) -> dict[str, Any]:
        extra = self.proposed_discount - self.current_discount
        return {"hours": self.hours, "window_start": to_json_value(self.window_start),
                "window_end": to_json_value(self.window_end), "covered_from": to_json_value(self.covered_from),
                "payments": self.payments, "logged_discount": to_json_value(self.logged_discount),
                "current_discount": to_json_value(self.current_discount),
                "proposed_discount": to_json_value(self.proposed_discount),
                "extra_discount": to_json_value(extra),
                "current_per_hour": to_json_value(self.per_hour(self.current_discount)),
                "proposed_per_hour": to_json_value(self.per_hour(self.proposed_discount)),
                "extra_per_hour": to_json_value(self.per_hour(extra)),
                "payments_with_more_discount": self.payments_more}


@dataclass(frozen=True)
class LintResult:
    change: dict[str, Any]  # the proposal as read, with the version it replaces (prev_*)
    findings: tuple[Finding, ...]
    what_if: WhatIf | None
    rules_source: str
    ts_given: bool = True
    notes: tuple[str, ...] = field(default=())

    @property
    def blocked(self) -> bool:
        return any(f.severity == "block" for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        c = self.change
        return {"change_id": c["change_id"], "campaign_id": c["campaign_id"], "ts": to_json_value(c["valid_from"]),
                "ts_given": self.ts_given, "replaces": c["prev_change_id"], "blocked": self.blocked,
                "rules": self.rules_source, "findings": [f.to_json() for f in self.findings],
                "what_if": self.what_if.to_json() if self.what_if else None}


# --- reading the proposal ----------------------------------------------------------------------
def read_change(path: str | Path, db: Database, tz: str | None = None) -> tuple[dict[str, Any], bool]:
    """The proposed change as the ingest reads it: (its canonical fields, whether it gave a ts)."""
    from analyzer.ingest import ingest

    path = Path(path)
    if not path.is_file():
        raise InputError("change file not found", path=str(path))
    with tempfile.TemporaryDirectory(prefix="analyzer-lint-") as tmp:
        source, ts_given = _with_ts(path, db, Path(tmp))
        try:
            with Database(":memory:") as scratch:
                report = ingest(scratch, config_changes=[source], tz=tz)
                rows = scratch.dicts("SELECT * FROM config_changes ORDER BY line")
                rejects = scratch.dicts("SELECT line, reason, field, message FROM rejects ORDER BY line LIMIT 1")
        except AnalyzerError as exc:  # name the user's file, not the scratch copy
            raise type(exc)(exc.message.replace(str(source.resolve()), str(path)).replace(str(source), str(path))) from exc
    if not rows:
        if rejects:
            r = rejects[0]
            raise InputError(f"{r['reason']}: {r['message']}", path=str(path), line=r["line"], field=r["field"])
        raise InputError("no config change found in the file (the same JSON as a config-change log line)",
                         path=str(path))
    if len(rows) > 1 or report.files[0].rows_read > 1:
        raise InputError(f"holds {report.files[0].rows_read} changes; lint-change checks one change at a time",
                         path=str(path))
    change = rows[0]
    if change["campaign_id"] is None:
        raise InputError("not a change of a campaign (no campaign_id)", path=str(path), field="campaign_id")
    return {k: change[k] for k in PROPOSAL_FIELDS}, ts_given


def _with_ts(path: Path, db: Database, tmp: Path) -> tuple[Path, bool]:
    """The file itself, or, when the change has no `ts`, a copy proposed just after everything loaded."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        doc = json.loads(text, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return path, True  # the ingest names what is wrong, line and field
    if not isinstance(doc, dict) or doc.get("ts") not in (None, ""):
        return path, True
    now = db.scalar(sql.statement("guardrails/lint_now"))
    doc["ts"] = now.isoformat(timespec="milliseconds")
    copy = tmp / path.name
    copy.write_text(json.dumps(doc, default=str, ensure_ascii=False), encoding="utf-8")  # Decimal as exact text
    return copy, False


# --- the checks --------------------------------------------------------------------------------
def lint_change(db: Database, path: str | Path, rules: RuleSet, *, hours: int = DEFAULT_HOURS,
                tz: str | None = None) -> LintResult:
    """Lint the change in `path` against `db` (analyzed) and the rules of `rules`."""
    if not 1 <= int(hours) <= MAX_HOURS:
        raise InputError(f"--hours must be 1 to {MAX_HOURS} (got {hours})")
    db.require_tables("config_versions", "transactions", hint="run `analyzer analyze` first")
    proposal, ts_given = read_change(path, db, tz)
    params = {f"proposed_{k}": proposal[k] for k in PROPOSAL_FIELDS}
    params["proposed_scenes"] = list(proposal["scenes"] or [])
    proposed_sql = sql.statement("guardrails/proposed_change")
    change = db.dicts(proposed_sql, params)[0]
    findings: list[Finding] = []
    db.run_file("guardrails/setup")  # the macros the change rules write their clauses with
    try:
        for rule in rules:
            if rule.kind.acts_on != "change":
                continue
            if rule.campaigns and change["campaign_id"] not in rule.campaigns:
                findings.append(Finding("info", rule.name, f"does not apply to campaign {change['campaign_id']}"))
                continue
            verdict_sql = sql.statement(rule.kind.statement_name, changes="(" + proposed_sql + ")")
            bound = {**params, **{n: list(v) if isinstance(v, tuple) else v for n, v in rule.params}}
            verdict = db.dicts(verdict_sql, bound)[0]
            clauses = "; ".join(verdict["clauses"] or [])
            if verdict["held"]:
                findings.append(Finding("block", rule.name, f"{rule.kind.kind} holds it: {clauses}"))
            elif clauses:
                approved = f", approved by {change['approver']}" if change["approver"] else ""
                findings.append(Finding("info", rule.name, f"{rule.kind.kind}: risky edits{approved}: {clauses}"))
            else:
                findings.append(Finding("info", rule.name, f"{rule.kind.kind}: passes"))
    finally:
        db.run_file("guardrails/teardown")
    history = db.dicts_file("guardrails/lint_history", {"campaign_id": change["campaign_id"],
                                                         "change_id": change["change_id"], "ts": change["valid_from"]})[0]
    findings += _history(change, history)
    what_if, whatif_findings = _what_if(db, change, rules, int(hours))
    findings += whatif_findings
    findings.sort(key=lambda f: SEVERITIES.index(f.severity))
    notes = () if ts_given else ("the change gives no ts: linted as proposed just after everything loaded "
                                 f"({to_json_value(change['valid_from'])})",)
    return LintResult(change, tuple(findings), what_if, rules.source, ts_given, notes)


def _value(v: Decimal | None) -> str:
    return "none" if v is None else f"{v.normalize():f}"


def _history(c: dict[str, Any], h: dict[str, Any]) -> list[Finding]:
    campaign = c["campaign_id"]
    if not h["versions"]:
        return [Finding("info", "history", f"first version of campaign {campaign}: no history to compare with")]
    out = []
    gives = c["enabled"] and c["discount_type"] != "none"
    if gives and c["discount_type"] == "percent" and not h["had_percent"]:
        out.append(Finding("warn", "history", f"the first percent discount campaign {campaign} ever had"))
    if gives and c["discount_type"] == "percent" and c["max_discount"] is None and not h["had_uncapped_percent"]:
        out.append(Finding("warn", "history", f"the first percent discount of {campaign} without a cap"))
    seen = {"percent": h["max_percent"], "fixed": h["max_fixed"]}.get(c["discount_type"])
    if gives and seen is not None and c["discount_value"] is not None and c["discount_value"] > seen:
        out.append(Finding("warn", "history", f"discount value {_value(c['discount_value'])} ({c['discount_type']}) is "
                           f"above anything {campaign} had (largest: {_value(seen)})"))
    if gives and c["discount_type"] == "percent" and c["max_discount"] is not None and h["max_cap"] is not None \
            and c["max_discount"] > h["max_cap"]:
        out.append(Finding("warn", "history", f"cap {money(c['max_discount'])} is above any cap {campaign} had "
                           f"(largest: {money(h['max_cap'])})"))
    scenes = c["scenes"] or []
    if gives and "*" in scenes and not h["had_every_scene"]:
        out.append(Finding("warn", "history", f"the first time {campaign} would discount every scene"))
    new = sorted(set(scenes) - set(h["scenes_seen"] or []) - {"*"})
    if gives and new and "*" not in (h["scenes_seen"] or []):
        out.append(Finding("warn", "history", f"scenes {campaign} never discounted before: {', '.join(new)}"))
    if c["prev_min_amount"] is not None and c["min_amount"] is None and gives:
        out.append(Finding("warn", "history", f"removes the minimum amount ({money(c['prev_min_amount'])} -> none)"))
    if not out:
        out.append(Finding("info", "history", f"nothing {campaign} has not had before"))
    return out


def _what_if(db: Database, c: dict[str, Any], rules: RuleSet, hours: int) -> tuple[WhatIf | None, list[Finding]]:
    prices = {"c_type": c["prev_discount_type"], "c_value": c["prev_discount_value"], "c_cap": c["prev_max_discount"],
              "c_min": c["prev_min_amount"], "c_scenes": c["prev_scenes"], "c_enabled": c["prev_enabled"],
              "p_type": c["discount_type"], "p_value": c["discount_value"], "p_cap": c["max_discount"],
              "p_min": c["min_amount"], "p_scenes": c["scenes"], "p_enabled": c["enabled"]}
    row = db.dicts_file("guardrails/lint_whatif", {"campaign_id": c["campaign_id"], "ts": c["valid_from"],
                                                    "hours": hours, **prices})[0]
    w = WhatIf(hours=hours, **{k: row[k] for k in ("window_start", "window_end", "covered_from", "payments",
                                                    "logged_discount", "current_discount", "proposed_discount",
                                                    "payments_more")})
    if not w.payments:
        return w, [Finding("info", "what-if", f"no payment of {c['campaign_id']} in the {hours} h before the change: "
                           "nothing to price")]
    extra = w.proposed_discount - w.current_discount
    now_rate, new_rate, extra_rate = w.per_hour(w.current_discount), w.per_hour(w.proposed_discount), w.per_hour(extra)
    ratio = (f", {(w.proposed_discount / w.current_discount).quantize(Decimal('0.1'))}x" if w.current_discount
             else "")
    out = [Finding("info", "what-if",
                   f"the last {hours} h of {c['campaign_id']} ({w.payments:,} payments): the proposed config gives "
                   f"{money(w.proposed_discount)} of discount where the live one gives {money(w.current_discount)} "
                   f"({money(extra, sign=True)}; {money(new_rate)} per hour instead of {money(now_rate)}, "
                   f"{money(extra_rate, sign=True)} per hour{ratio}); {w.payments_more:,} payments would get more")]
    for rule in rules:
        if rule.campaigns and c["campaign_id"] not in rule.campaigns:
            continue
        v = rule.values
        if rule.kind.kind == "burn_rate" and w.proposed_discount > 0 \
                and w.proposed_discount > v["factor"] * w.current_discount:  # no division: compare the sums
            out.append(Finding("warn", rule.name, f"at the proposed rate ({money(new_rate)} per hour against "
                               f"{money(now_rate)}) {rule.name} trips (above {_value(v['factor'])}x) within "
                               f"{v['window_s']} s of going live and pauses the campaign"))
    caps = [r for r in rules if r.kind.kind == "per_payment_cap"
            and not (r.campaigns and c["campaign_id"] not in r.campaigns)]
    if caps:
        cut = {r["cap"]: r for r in db.dicts_file("guardrails/lint_whatif_caps", {
            "campaign_id": c["campaign_id"], "window_start": w.window_start, "window_end": w.window_end,
            **{k: v for k, v in prices.items() if k.startswith("p_")},
            "caps": [r.values["max_discount"] for r in caps]})}
        for rule in caps:
            got = cut[rule.values["max_discount"]]
            if got["payments"]:
                out.append(Finding("warn", rule.name, f"would cut {got['payments']:,} of these payments under the "
                                   f"proposed config ({money(got['cut'])} above the cap of "
                                   f"{money(rule.values['max_discount'])})"))
    return w, out
