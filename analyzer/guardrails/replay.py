"""The replay: what each guardrail of a rule set would have done to the analysed payments.

Called by `analyzer replay`, the report's Guardrails section and the dashboard's Guardrails page.
Every rule's SQL (analyzer/sql/guardrails/rules/<kind>.sql) runs once over the analysis's own
tables and leaves its verdicts in a temporary table of the reader's connection
(guardrails/setup.sql; the database is never written):

  payment and rate rules: per payment, the most discount it may keep (limit_amount); rate rules
      also report when they tripped (the incident's trip, and every trip elsewhere)
  change rules: per config change of the analysed campaign(s), held or not and why

One shared statement (guardrails/rule_sets.sql) turns verdicts into money for any set of rules
at once, with the analysis's own `expected` and `excess` per payment: a rule alone is a set of
one, and the recommendation searches the sets. Money is exact (DECIMAL(18,2)) throughout.

Figures cover every priced payment of the analysed campaign(s), not only the incident window:
`excess_prevented + excess_leaked = excess_at_stake`, the over-discount (excess > 0) of them all.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl

from analyzer import sql
from analyzer.analysis.summary import to_json_value
from analyzer.db import Database
from analyzer.errors import DataError
from analyzer.formatting import instant, money
from analyzer.guardrails.rules import Rule, RuleSet, load_rules, make_rule, parse_rules

# "Most of the excess": the recommendation's set must prevent at least this share of the excess at stake.
TARGET_SHARE = Decimal("0.95")
# Every combination of the rules is searched up to this many rules; beyond, sets of up to MAX_SET_SIZE.
EXHAUSTIVE_RULES = 8
MAX_SET_SIZE = 3


@dataclass(frozen=True)
class Incident:
    """What a replay runs against (guardrails/context.sql)."""

    bad_campaign: str
    campaigns: tuple[str, ...]
    bad_change_id: str
    fix_change_id: str | None
    bad_from: datetime
    fix_from: datetime | None
    first_affected_at: datetime | None
    last_affected_at: datetime | None
    display_tz: str
    data_from: datetime | None
    payments: int
    over_discounted_payments: int
    excess_at_stake: Decimal
    incident_payments: int
    incident_excess: Decimal

    def params(self) -> dict[str, Any]:
        """The names every rule's SQL may use (rules.CONTEXT_NAMES)."""
        return {"campaigns": list(self.campaigns), "bad_campaign": self.bad_campaign,
                "bad_change_id": self.bad_change_id, "bad_from": self.bad_from, "fix_from": self.fix_from,
                "first_affected_at": self.first_affected_at, "last_affected_at": self.last_affected_at,
                "display_tz": self.display_tz, "data_from": self.data_from}


@dataclass(frozen=True)
class HeldChange:
    change_id: str
    campaign_id: str
    valid_from: datetime
    clauses: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """What one rule would have done (the `analyzer replay --json` object)."""

    name: str
    kind: str
    acts_on: str
    description: str
    tripped_at: datetime | None
    time_to_trip_s: float | None  # from the bad change; negative: it acted before it
    payments_blocked: int
    excess_prevented: Decimal
    excess_leaked: Decimal
    legit_discount_blocked: Decimal
    legit_payments_blocked: int
    excess_at_stake: Decimal
    trips_elsewhere: int | None = None  # rate rules only
    first_trip_elsewhere_at: datetime | None = None
    clauses: tuple[str, ...] = ()  # change rules: what matched on the bad change
    held_changes: tuple[HeldChange, ...] = ()  # change rules: every change it would hold
    notes: tuple[str, ...] = ()

    @property
    def share_prevented(self) -> Decimal | None:
        """Percent of the excess at stake prevented, to 0.1 (None when nothing was at stake)."""
        if not self.excess_at_stake:
            return None
        return (self.excess_prevented * 100 / self.excess_at_stake).quantize(Decimal("0.1"))

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "kind": self.kind, "acts_on": self.acts_on, "description": self.description,
            "tripped_at": to_json_value(self.tripped_at), "time_to_trip_s": self.time_to_trip_s,
            "payments_blocked": self.payments_blocked,
            "excess_prevented": to_json_value(self.excess_prevented),
            "excess_leaked": to_json_value(self.excess_leaked),
            "legit_discount_blocked": to_json_value(self.legit_discount_blocked),
            "legit_payments_blocked": self.legit_payments_blocked,
            "excess_at_stake": to_json_value(self.excess_at_stake),
            "share_prevented_pct": None if self.share_prevented is None else str(self.share_prevented),
            "trips_elsewhere": self.trips_elsewhere,
            "first_trip_elsewhere_at": to_json_value(self.first_trip_elsewhere_at),
            "clauses": list(self.clauses),
            "held_changes": [{"change_id": h.change_id, "campaign_id": h.campaign_id,
                              "at": to_json_value(h.valid_from), "clauses": list(h.clauses)}
                             for h in self.held_changes],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Recommendation:
    """The cheapest set of the file's rules that would have prevented most of the excess.

    Cheapest: the least legitimate discount taken away, then the fewest rules; between sets
    equal in both, the one that prevents more, then the one that holds fewer other changes for
    approval, then the order of the file. Most: at least TARGET_SHARE of
    the excess at stake. When no set gets there, the set that prevents the most (`reached` False).
    """

    rules: tuple[str, ...]
    excess_prevented: Decimal
    excess_at_stake: Decimal
    legit_discount_blocked: Decimal
    legit_payments_blocked: int
    reached: bool
    target: Decimal
    sets_considered: int
    other_changes_held: int
    sets_priced: int = 0  # of the sets considered, those priced (the others could not be cheaper)

    @property
    def share(self) -> Decimal:
        return (self.excess_prevented * 100 / self.excess_at_stake).quantize(Decimal("0.1"))

    def sentence(self) -> str:
        names = " + ".join(self.rules)
        what = (f"{names}: prevents {money(self.excess_prevented)} of the {money(self.excess_at_stake)} at stake "
                f"({self.share}%) and takes {money(self.legit_discount_blocked)} of legitimate discount from "
                f"{self.legit_payments_blocked:,} payments")
        if self.other_changes_held:
            what += f"; it also holds {self.other_changes_held} other change(s) for approval"
        pct = f"{(self.target * 100).normalize():f}%"
        if self.reached:
            return (f"Recommended: {what}. It is the cheapest of {self.sets_considered} combinations of these rules "
                    f"that prevent at least {pct} of the excess (least legitimate discount taken away, then fewest rules).")
        return (f"No combination of these rules prevents {pct} of the excess; the one that prevents the most is "
                f"{what}.")

    def to_json(self) -> dict[str, Any]:
        return {"rules": list(self.rules), "excess_prevented": to_json_value(self.excess_prevented),
                "share_prevented_pct": str(self.share), "legit_discount_blocked": to_json_value(self.legit_discount_blocked),
                "legit_payments_blocked": self.legit_payments_blocked, "reached_target": self.reached,
                "target_share_pct": f"{(self.target * 100).normalize():f}", "sets_considered": self.sets_considered}


@dataclass(frozen=True)
class Replay:
    incident: Incident
    rules: RuleSet
    outcomes: tuple[Outcome, ...]
    recommendation: Recommendation | None
    sets: tuple[dict[str, Any], ...] = field(default=(), repr=False, compare=False)

    def to_json(self) -> list[dict[str, Any]]:
        return [o.to_json() for o in self.outcomes]

    def frame(self) -> pl.DataFrame:
        """One row per rule: the table of the dashboard (money stays DECIMAL(18,2))."""
        money_type = pl.Decimal(18, 2)
        return pl.DataFrame({
            "rule": [o.name for o in self.outcomes],
            "kind": [o.kind for o in self.outcomes],
            "acts_on": [o.acts_on for o in self.outcomes],
            "what it does": [o.description for o in self.outcomes],
            "tripped_at": [o.tripped_at for o in self.outcomes],
            "time_to_trip_s": [o.time_to_trip_s for o in self.outcomes],
            "payments_blocked": [o.payments_blocked for o in self.outcomes],
            "excess_prevented": [o.excess_prevented for o in self.outcomes],
            "share_prevented": [None if o.share_prevented is None else f"{o.share_prevented}%" for o in self.outcomes],
            "excess_leaked": [o.excess_leaked for o in self.outcomes],
            "legit_discount_blocked": [o.legit_discount_blocked for o in self.outcomes],
            "legit_payments_blocked": [o.legit_payments_blocked for o in self.outcomes],
            "trips_elsewhere": [o.trips_elsewhere for o in self.outcomes],
            "notes": ["; ".join(o.notes) for o in self.outcomes],
        }, schema={"rule": pl.String, "kind": pl.String, "acts_on": pl.String, "what it does": pl.String,
                   "tripped_at": pl.Datetime("us", "UTC"), "time_to_trip_s": pl.Float64, "payments_blocked": pl.Int64,
                   "excess_prevented": money_type, "share_prevented": pl.String, "excess_leaked": money_type,
                   "legit_discount_blocked": money_type, "legit_payments_blocked": pl.Int64,
                   "trips_elsewhere": pl.Int64, "notes": pl.String})


def incident(db: Database) -> Incident:
    db.require_tables("incident_summary", "priced_transactions", "config_versions",
                      hint="run `analyzer analyze` first")
    rows = db.dicts_file("guardrails/context")
    if not rows:
        raise DataError(f"{db.path}: incident_summary is empty; run `analyzer analyze` first")
    r = rows[0]
    return Incident(**{**r, "campaigns": tuple(r["campaigns"] or ())})


def _bound(rule: Rule) -> dict[str, Any]:
    return {name: list(value) if isinstance(value, tuple) else value for name, value in rule.params}


def candidate_sets(n: int) -> list[tuple[int, ...]]:
    """The sets of rule numbers (1..n) the recommendation compares, smallest first; every
    single rule is one of them."""
    largest = n if n <= EXHAUSTIVE_RULES else min(n, MAX_SET_SIZE)
    return [c for size in range(1, largest + 1) for c in itertools.combinations(range(1, n + 1), size)]


def replay(db: Database, rules: RuleSet, *, every_set: bool = False) -> Replay:
    """Replay every rule of `rules` over the analysed payments and changes.

    The recommendation prices only the combinations that could still be cheapest (see
    `_evaluate_sets`); `every_set` prices every one (Replay.sets then lists them all)."""
    inc = incident(db)
    context = inc.params()
    db.run_file("guardrails/setup")
    try:
        db.run_file("guardrails/replay_priced")  # the view's rows once, not once per statement
        changes_sql = "(" + sql.statement("guardrails/replayed_changes") + ")"
        for number, rule in enumerate(rules, 1):
            params = {**context, **_bound(rule), "rule": number, "rule_campaigns": list(rule.campaigns)}
            if rule.kind.acts_on == "change":
                verdicts = sql.statement(rule.kind.statement_name, changes=changes_sql)
                db.run(sql.script("guardrails/add_change_verdicts", verdicts=verdicts), params)
            else:
                verdicts = sql.statement(rule.kind.statement_name)
                db.run(sql.script("guardrails/add_payment_verdicts", verdicts=verdicts), params)
        change_rows = db.dicts_file("guardrails/change_verdicts")
        trips = {r["rule"]: r for r in db.dicts_file("guardrails/trips")}
        holds_bad = {n: any(r["held"] and r["change_id"] == inc.bad_change_id for r in change_rows if r["rule"] == n)
                     for n, rule in enumerate(rules, 1) if rule.kind.acts_on == "change"}
        sets = candidate_sets(len(rules))
        by_set = _evaluate_sets(db, inc, rules, sets, holds_bad, every_set)
    finally:
        db.run_file("guardrails/teardown")
    outcomes = tuple(_outcome(inc, n, rule, by_set[(n,)], trips.get(n), [r for r in change_rows if r["rule"] == n])
                     for n, rule in enumerate(rules, 1))
    other_held = {n: sum(1 for r in change_rows if r["rule"] == n and r["held"] and r["change_id"] != inc.bad_change_id)
                  for n in holds_bad}
    return Replay(inc, rules, outcomes, _recommend(inc, rules, sets, by_set, other_held),
                  tuple({"rules": tuple(rules.rules[n - 1].name for n in s), **row} for s, row in by_set.items()))


def _evaluate_sets(db: Database, inc: Incident, rules: RuleSet, sets: list[tuple[int, ...]],
                   holds_bad: dict[int, bool], every_set: bool) -> dict[tuple[int, ...], dict[str, Any]]:
    """The figures of every single rule and of the combinations the recommendation needs.

    Sets are priced size by size (one statement per size). A larger set is skipped when it cannot
    be cheaper than the best set found that reaches the target, or cannot reach it at all: a
    combination takes at least the legitimate discount of its costliest member (a payment keeps
    the least any member allows) and prevents at most the sum of what its members prevent. When
    no set reaches the target, every set is priced (the answer is then the one preventing most).
    """
    def price(batch: list[tuple[int, ...]]) -> dict[tuple[int, ...], dict[str, Any]]:
        if not batch:
            return {}
        members = [[n for n in s if rules.rules[n - 1].kind.acts_on != "change"] for s in batch]
        held = [any(holds_bad.get(n, False) for n in s) for s in batch]
        rows = db.dicts_file("guardrails/rule_sets", {
            "set_ids": list(range(len(batch))), "set_members": members, "set_held": held,
            "incident_excess": inc.incident_excess, "excess_at_stake": inc.excess_at_stake})
        return dict(zip(batch, rows))

    target = TARGET_SHARE * inc.excess_at_stake
    priced = price([s for s in sets if len(s) == 1])
    if every_set:
        return {**priced, **price([s for s in sets if len(s) > 1])}
    single = {s[0]: row for s, row in priced.items()}

    def best() -> tuple[Decimal, int] | None:
        reaching = [(row["legit_discount_blocked"], len(s)) for s, row in priced.items()
                    if row["excess_prevented"] >= target]
        return min(reaching) if reaching else None

    for size in range(2, max((len(s) for s in sets), default=1) + 1):
        found = best()
        batch = []
        for s in (s for s in sets if len(s) == size):
            least_cost = max(single[n]["legit_discount_blocked"] for n in s)
            most = sum(single[n]["excess_prevented"] for n in s)
            if most < target or (found is not None and (least_cost, size) > found):
                continue
            batch.append(s)
        priced.update(price(batch))
    if best() is None:
        priced.update(price([s for s in sets if s not in priced]))
    return priced


def _seconds(at: datetime | None, since: datetime) -> float | None:
    return None if at is None else round((at - since).total_seconds(), 3)


def _outcome(inc: Incident, number: int, rule: Rule, row: dict[str, Any], trip: dict[str, Any] | None,
             changes: list[dict[str, Any]]) -> Outcome:
    notes: list[str] = []
    base = dict(name=rule.name, kind=rule.kind.kind, acts_on=rule.kind.acts_on,
                description=rule.describe(inc.display_tz), excess_at_stake=inc.excess_at_stake)
    if rule.kind.acts_on == "change":
        bad = next((c for c in changes if c["change_id"] == inc.bad_change_id), None)
        held = tuple(HeldChange(c["change_id"], c["campaign_id"], c["valid_from"], tuple(c["clauses"]))
                     for c in changes if c["held"])
        holds_bad = bool(bad and bad["held"])
        for h in held:
            if h.change_id == inc.bad_change_id:
                continue
            when = "before" if h.valid_from < inc.bad_from else "after"
            notes.append(f"also holds {h.change_id} ({when} the bad change: {'; '.join(h.clauses)}); what holding it "
                         "would have cost is not modelled")
        if bad is None:
            notes.append("does not judge the bad change (limited to other campaigns)")
        elif not holds_bad:
            notes.append("lets the bad change through" + (f" (matched: {'; '.join(bad['clauses'])})" if bad["clauses"] else ""))
        prevented = inc.incident_excess if holds_bad else Decimal("0.00")
        return Outcome(**base, tripped_at=bad["valid_from"] if holds_bad else None,
                       time_to_trip_s=0.0 if holds_bad else None,
                       payments_blocked=inc.incident_payments if holds_bad else 0,
                       excess_prevented=prevented, excess_leaked=inc.excess_at_stake - prevented,
                       legit_discount_blocked=Decimal("0.00"), legit_payments_blocked=0,
                       clauses=tuple(bad["clauses"]) if bad else (), held_changes=held, notes=tuple(notes))
    if rule.kind.acts_on == "rate":
        tripped_at = trip["tripped_at"] if trip else None
        elsewhere = int(trip["trips_elsewhere"]) if trip else 0
        v = rule.values
        if tripped_at is None and inc.data_from is not None and {"window_s", "baseline_s"} <= set(v):
            # the first second whose whole baseline window lies inside the loaded data
            first = inc.data_from.replace(microsecond=0) + timedelta(seconds=v["window_s"] + v["baseline_s"]
                                                                      + (1 if inc.data_from.microsecond else 0))
            if inc.fix_from is not None and first > inc.fix_from:
                notes.append(f"never judged during the incident: the loaded data starts at "
                             f"{instant(inc.data_from, inc.display_tz)}, so a whole baseline window fits only from "
                             f"{instant(first, inc.display_tz)}")
            else:
                notes.append("does not trip during the incident")
        elif tripped_at is None:
            notes.append("does not trip during the incident")
        elif inc.fix_from is not None and row["payments_blocked"] == 0 and row["legit_payments_blocked"] == 0:
            notes.append("trips, but the pause would only begin after the fix change")
        if elsewhere:
            notes.append(f"trips {elsewhere} time(s) elsewhere in the data (false alarms; what a pause then would "
                         "cost is not modelled)")
        first_elsewhere = trip["first_trip_elsewhere_at"] if trip else None
    else:
        tripped_at, elsewhere, first_elsewhere = row["first_blocked_at"], None, None
        if tripped_at is not None and tripped_at < inc.bad_from:
            notes.append("first cuts a payment before the bad change")
    return Outcome(**base, tripped_at=tripped_at, time_to_trip_s=_seconds(tripped_at, inc.bad_from),
                   payments_blocked=row["payments_blocked"], excess_prevented=row["excess_prevented"],
                   excess_leaked=row["excess_leaked"], legit_discount_blocked=row["legit_discount_blocked"],
                   legit_payments_blocked=row["legit_payments_blocked"], trips_elsewhere=elsewhere,
                   first_trip_elsewhere_at=first_elsewhere, notes=tuple(notes))


def _recommend(inc: Incident, rules: RuleSet, sets: list[tuple[int, ...]], priced: dict[tuple[int, ...], dict[str, Any]],
               other_held: dict[int, int]) -> Recommendation | None:
    if inc.excess_at_stake <= 0:
        return None

    def held_others(s: tuple[int, ...]) -> int:
        return sum(other_held.get(n, 0) for n in s)

    def cheap(item: tuple[tuple[int, ...], dict[str, Any]]) -> tuple:
        s, row = item
        return (row["legit_discount_blocked"], len(s), -row["excess_prevented"], held_others(s), s)

    pairs = list(priced.items())
    # exact: prevented / at_stake >= target, multiplied out
    reaching = [p for p in pairs if p[1]["excess_prevented"] >= TARGET_SHARE * inc.excess_at_stake]
    if reaching:
        s, row = min(reaching, key=cheap)
    else:
        s, row = min(pairs, key=lambda p: (-p[1]["excess_prevented"], p[1]["legit_discount_blocked"], len(p[0]),
                                           held_others(p[0]), p[0]))
    return Recommendation(rules=tuple(rules.rules[n - 1].name for n in s), excess_prevented=row["excess_prevented"],
                          excess_at_stake=inc.excess_at_stake, legit_discount_blocked=row["legit_discount_blocked"],
                          legit_payments_blocked=row["legit_payments_blocked"], reached=bool(reaching),
                          target=TARGET_SHARE, sets_considered=len(sets), other_changes_held=held_others(s),
                          sets_priced=len(priced))


# --- entry points with hashable arguments (the dashboard caches per arguments) ------------------------
def replay_default(db: Database) -> Replay:
    """The default rule set (analyzer/guardrails/default_rules.toml)."""
    return replay(db, load_rules(None))


def replay_text(db: Database, text: str, source: str = "rules file") -> Replay:
    """The rules of a TOML text (an uploaded rules file)."""
    return replay(db, parse_rules(text, source))


def try_rule(db: Database, kind: str, values: tuple[tuple[str, str], ...], name: str | None = None) -> Replay:
    """One rule of `kind` with the given parameter values (text, as typed), e.g.
    ("per_payment_cap", (("max_discount", "20.00"),)); a value that is not of its type is refused
    with an InputError naming the field."""
    rule = make_rule(name or f"try-{kind}", kind, dict(values), where=name or "your rule")
    return replay(db, RuleSet((rule,), "your rule"))
