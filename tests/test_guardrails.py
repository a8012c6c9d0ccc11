"""Guardrails: every rule kind against a small hand-computed incident (exact money, the trip
second), the sample incident with the default rules against an independent polars recomputation
(integer cents, from the analysis's priced rows and config versions), the recommendation, rules
files that are wrong, and `analyzer lint-change` on the sample's bad and legitimate changes.

The hand-made incident (built in `guard_db`): campaign CMP-G gives a fixed 0.50 on shopping (G1,
approved); G2 at 12:00:00Z, with no approver, makes it 20% off every scene; G3 rolls it back at
12:05:00Z. Twelve baseline payments of 0.50 every 10 s from 11:58:00; B1..B5 in the bad period
(u1: transfers of 200.00 and 100.00 off and a shopping payment of 20.00 off); L1 from a lagging
node 10 s after the fix; A1, X1 and X2 legitimate payments of u1 later that day, X2 just after
midnight in Asia/Shanghai (16:00:01Z), the incident's zone. Excess at stake: 200.00 + 19.50 +
5.50 + 100.00 + 1.50 + 1.50 = 328.00.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from analyzer.db import Database
from analyzer.errors import ExitCode, InputError
from analyzer.guardrails import rules as rules_mod
from analyzer.guardrails.replay import replay, try_rule
from analyzer.guardrails.rules import load_rules, parse_rules

CHANGES = [
    {"change_id": "G1", "ts": "2025-03-01T10:00:00Z", "campaign_id": "CMP-G", "actor": "a", "approver": "lead",
     "action": "create", "version": "v1", "config": {"discount_type": "fixed", "discount_value": "0.50",
                                                     "max_discount": None, "min_amount": None, "scenes": ["shopping"],
                                                     "enabled": True}},
    {"change_id": "G2", "ts": "2025-03-01T12:00:00Z", "campaign_id": "CMP-G", "actor": "b", "approver": None,
     "action": "update", "version": "v2", "config": {"discount_type": "percent", "discount_value": 20,
                                                     "max_discount": None, "min_amount": None, "scenes": ["*"],
                                                     "enabled": True}},
    {"change_id": "G3", "ts": "2025-03-01T12:05:00Z", "campaign_id": "CMP-G", "actor": "c", "approver": "sre",
     "action": "rollback", "version": "v3", "config": {"discount_type": "fixed", "discount_value": "0.50",
                                                       "max_discount": None, "min_amount": None,
                                                       "scenes": ["shopping"], "enabled": True}},
]
HEADER = "txn_id,ts,user_id,merchant_id,scene,amount,discount,paid,campaign_id,config_version,type,original_txn_id"
PAYMENTS = [
    *(f"N{i:02d},2025-03-01T11:{58 + i // 6}:{(i % 6) * 10:02d}.000Z,u{10 + i},M,shopping,10.00,0.50,9.50,CMP-G,v1,payment,"
      for i in range(12)),
    "B1,2025-03-01T12:00:01.500Z,u1,M,transfer,1000.00,200.00,800.00,CMP-G,v2,payment,",
    "B2,2025-03-01T12:00:03.000Z,u1,M,shopping,100.00,20.00,80.00,CMP-G,v2,payment,",
    "B3,2025-03-01T12:00:20.250Z,u2,M,shopping,30.00,6.00,24.00,CMP-G,v2,payment,",
    "B4,2025-03-01T12:00:40.000Z,u1,M,transfer,500.00,100.00,400.00,CMP-G,v2,payment,",
    "B5,2025-03-01T12:04:59.000Z,u3,M,shopping,10.00,2.00,8.00,CMP-G,v2,payment,",
    "L1,2025-03-01T12:05:10.000Z,u4,M,shopping,10.00,2.00,8.00,CMP-G,v2,payment,",
    "A1,2025-03-01T12:06:00.000Z,u1,M,shopping,10.00,0.50,9.50,CMP-G,v3,payment,",
    "X1,2025-03-01T15:59:59.000Z,u1,M,shopping,10.00,0.50,9.50,CMP-G,v3,payment,",
    "X2,2025-03-01T16:00:01.000Z,u1,M,shopping,10.00,0.50,9.50,CMP-G,v3,payment,",
]
AT_STAKE = Decimal("328.00")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def build_guard_db(folder: Path, changes: list[dict] = CHANGES, tz: str = "Asia/Shanghai") -> Path:
    from analyzer.analysis.pipeline import AnalysisParams, analyze
    from analyzer.ingest import ingest

    (folder / "changes.jsonl").write_text("".join(json.dumps(c) + "\n" for c in changes), encoding="utf-8")
    (folder / "txns.csv").write_text("\n".join([HEADER, *PAYMENTS]) + "\n", encoding="utf-8")
    path = folder / "guard.duckdb"
    with Database(path) as db:
        ingest(db, transactions=[folder / "txns.csv"], config_changes=[folder / "changes.jsonl"])
        analyze(db, AnalysisParams(bad_change="G2", fix_change="G3", display_tz=tz))
    return path


@pytest.fixture(scope="module")
def guard_db(tmp_path_factory) -> Path:
    return build_guard_db(tmp_path_factory.mktemp("guard"))


def one(db_path: Path, toml: str, every_set: bool = False):
    with Database(db_path, read_only=True) as db:
        result = replay(db, parse_rules(toml, "test rules"), every_set=every_set)
    return result


def figures(o) -> tuple:
    return (o.payments_blocked, o.excess_prevented, o.excess_leaked, o.legit_discount_blocked, o.legit_payments_blocked)


# --- every rule kind, by hand -------------------------------------------------------------------------------
def test_the_fixture_is_the_incident_we_computed_by_hand(guard_db):
    with Database(guard_db, read_only=True) as db:
        excess = dict(db.rows("SELECT txn_id, excess FROM priced_transactions WHERE excess <> 0"))
    assert excess == {"B1": Decimal("200.00"), "B2": Decimal("19.50"), "B3": Decimal("5.50"), "B4": Decimal("100.00"),
                      "B5": Decimal("1.50"), "L1": Decimal("1.50")}
    assert sum(excess.values()) == AT_STAKE


def test_per_payment_cap(guard_db):
    result = one(guard_db, '[[rules]]\nname = "cap"\nkind = "per_payment_cap"\nmax_discount = "20.00"\n')
    (o,) = result.outcomes
    # B1 200.00 -> 20.00 and B4 100.00 -> 20.00 (B2's 20.00 is not above the cap): 180 + 80 prevented, 20 + 20 kept
    assert figures(o) == (2, Decimal("260.00"), Decimal("68.00"), Decimal("0.00"), 0)
    assert o.tripped_at == utc("2025-03-01T12:00:01.500Z") and o.time_to_trip_s == 1.5
    assert o.excess_prevented + o.excess_leaked == AT_STAKE == o.excess_at_stake
    # a cap below legitimate discounts costs them: 0.30 of every 0.50 (12 + 3 legitimate payments, and the
    # intended 0.50 of B2, B3, B5 and L1)
    (low,) = one(guard_db, '[[rules]]\nname = "low"\nkind = "per_payment_cap"\nmax_discount = 0.20\n').outcomes
    assert (low.legit_discount_blocked, low.legit_payments_blocked) == (Decimal("0.30") * 19, 19)
    assert low.tripped_at == utc("2025-03-01T11:58:00Z") and low.time_to_trip_s == -120.0
    assert "first cuts a payment before the bad change" in low.notes


def test_per_user_budget_counts_the_day_in_the_incident_zone(guard_db, tmp_path):
    toml = '[[rules]]\nname = "budget"\nkind = "per_user_budget"\nmax_per_user = "150.00"\n'
    (o,) = one(guard_db, toml).outcomes
    # u1: B1 keeps 150 of 200 (prevents 50), then nothing is left: B2 keeps 0 (prevents 19.50, takes its
    # intended 0.50), B4 keeps 0 (prevents 100), A1 and X1 lose their 0.50; X2 is the next day in Shanghai
    assert figures(o) == (5, Decimal("169.50"), Decimal("158.50"), Decimal("1.50"), 3)
    assert o.tripped_at == utc("2025-03-01T12:00:01.500Z")
    assert "Asia/Shanghai" in o.description
    # the same incident shown in UTC: 16:00:01Z is the same day, so X2 loses its 0.50 too
    utc_db = build_guard_db(tmp_path, tz="UTC")
    (u,) = one(utc_db, toml).outcomes
    assert figures(u) == (6, Decimal("169.50"), Decimal("158.50"), Decimal("2.00"), 4)
    # per hour instead of per day: A1 (12:06) is still in B1's hour and loses its 0.50; X1 (15:59) and
    # X2 (16:00) each start a new hour
    (h,) = one(guard_db, toml + 'window = "hour"\n').outcomes
    assert figures(h) == (4, Decimal("169.50"), Decimal("158.50"), Decimal("1.00"), 2)


def test_burn_rate_trips_at_the_second_and_pauses_until_the_fix(guard_db):
    toml = ('[[rules]]\nname = "burn"\nkind = "burn_rate"\nwindow_s = 10\nbaseline_s = 60\nfactor = 3\n'
            'delay_s = 5\n')
    (o,) = one(guard_db, toml).outcomes
    # at 12:00:02 the last 10 s hold B1's 200.00 (bucket 12:00:01) against 3.00 in the 60 s before:
    # 200.00 * 60 > 3 * 10 * 3.00. Until then one baseline 0.50 per 10 s never trips (30 > 90 is false).
    assert o.tripped_at == utc("2025-03-01T12:00:02Z") and o.time_to_trip_s == 2.0
    # paused from 12:00:07 to the fix at 12:05:00: B3, B4, B5 keep nothing (B1 and B2 came before the pause,
    # L1 after the fix): prevented 5.50 + 100.00 + 1.50; their intended 0.50 + 0 + 0.50 is the legitimate cost
    assert figures(o) == (3, Decimal("107.00"), Decimal("221.00"), Decimal("1.00"), 2)
    # X1 (15:59:59) comes after an hour without payments: 0.50 against a baseline of 0 trips at 16:00:00,
    # and X2 keeps it tripping: one trip elsewhere
    assert o.trips_elsewhere == 1 and o.first_trip_elsewhere_at == utc("2025-03-01T16:00:00Z")
    # the baseline must lie inside the data (11:58:00 to 16:00:01): with one of 5 hours nothing is evaluated
    (late,) = one(guard_db, toml.replace("baseline_s = 60", "baseline_s = 18000")).outcomes
    assert late.tripped_at is None and late.excess_prevented == 0 and late.trips_elsewhere == 0
    # a trip whose pause comes only after the fix prevents nothing
    (slow,) = one(guard_db, toml.replace("delay_s = 5", "delay_s = 600")).outcomes
    assert slow.tripped_at == utc("2025-03-01T12:00:02Z") and slow.excess_prevented == 0
    assert any("after the fix" in n for n in slow.notes)


def test_change_approval_holds_the_bad_change(guard_db):
    (o,) = one(guard_db, '[[rules]]\nname = "approve"\nkind = "change_approval"\n').outcomes
    assert figures(o) == (6, AT_STAKE, Decimal("0.00"), Decimal("0.00"), 0)
    assert o.tripped_at == utc("2025-03-01T12:00:00Z") and o.time_to_trip_s == 0.0
    assert o.clauses == ("no approver", "changes the discount type (fixed -> percent)",
                         "widens the scenes to every scene", "multiplies the discount value by more than 5 (0.50 -> 20.00)")
    assert [h.change_id for h in o.held_changes] == ["G2"] and not o.notes


def test_change_approval_lets_an_approved_change_through(tmp_path):
    approved = [dict(c, approver="boss") if c["change_id"] == "G2" else c for c in CHANGES]
    (o,) = one(build_guard_db(tmp_path, approved), '[[rules]]\nname = "approve"\nkind = "change_approval"\n').outcomes
    assert figures(o) == (0, Decimal("0.00"), AT_STAKE, Decimal("0.00"), 0) and o.tripped_at is None
    assert "no approver" not in o.clauses and "widens the scenes to every scene" in o.clauses
    assert any(n.startswith("lets the bad change through") for n in o.notes)


def test_change_approval_value_ratio(tmp_path):
    # a fixed 0.50 -> fixed 2.50, unapproved: only the value clause can hold it (x5 exactly is not more than 5)
    changes = [CHANGES[0], dict(CHANGES[1], config={**CHANGES[0]["config"], "discount_value": "2.50"}), CHANGES[2]]
    db_path = build_guard_db(tmp_path, changes)
    (at5,) = one(db_path, '[[rules]]\nname = "x5"\nkind = "change_approval"\nmax_value_ratio = 5\n').outcomes
    (at4,) = one(db_path, '[[rules]]\nname = "x4"\nkind = "change_approval"\nmax_value_ratio = 4.99\n').outcomes
    assert at5.tripped_at is None and at5.clauses == ()
    assert at4.tripped_at is not None
    assert at4.clauses == ("no approver", "multiplies the discount value by more than 4.99 (0.50 -> 2.50)")


def test_scene_allowlist_and_a_rule_that_holds_another_change_first(guard_db):
    (o,) = one(guard_db, '[[rules]]\nname = "shop"\nkind = "scene_allowlist"\nscenes = ["shopping"]\n').outcomes
    assert figures(o) == (6, AT_STAKE, Decimal("0.00"), Decimal("0.00"), 0)
    assert o.clauses == ("discounts every scene",)
    (g,) = one(guard_db, '[[rules]]\nname = "groceries"\nkind = "scene_allowlist"\nscenes = ["groceries"]\n').outcomes
    # it refuses G1 first (shopping), and the rollback G3 too: said so, not costed
    assert [h.change_id for h in g.held_changes] == ["G1", "G2", "G3"]
    assert g.excess_prevented == AT_STAKE
    assert any(n.startswith("also holds G1 (before the bad change") for n in g.notes)
    assert any(n.startswith("also holds G3 (after the bad change") for n in g.notes)


def test_a_rule_limited_to_other_campaigns_does_nothing(guard_db):
    result = one(guard_db, '[[rules]]\nname = "cap"\nkind = "per_payment_cap"\nmax_discount = "1.00"\n'
                           'campaigns = ["CMP-OTHER"]\n'
                           '[[rules]]\nname = "approve"\nkind = "change_approval"\ncampaigns = ["CMP-OTHER"]\n')
    cap, approve = result.outcomes
    assert figures(cap) == figures(approve) == (0, Decimal("0.00"), AT_STAKE, Decimal("0.00"), 0)
    assert "(campaigns CMP-OTHER)" in cap.description


def test_the_recommendation_is_the_cheapest_set_that_prevents_95_percent(guard_db):
    toml = ('[[rules]]\nname = "cap-5"\nkind = "per_payment_cap"\nmax_discount = "5.00"\n'
            '[[rules]]\nname = "budget"\nkind = "per_user_budget"\nmax_per_user = "150.00"\n'
            '[[rules]]\nname = "burn"\nkind = "burn_rate"\nwindow_s = 10\nbaseline_s = 60\nfactor = 3\ndelay_s = 5\n')
    result = one(guard_db, toml, every_set=True)
    cap, budget, burn = result.outcomes
    # cap 5: B1 keeps 5 (195), B2 keeps 5 (15), B3 keeps 5 (1), B4 keeps 5 (95): 306.00 < 95% of 328.00 = 311.60
    assert (cap.excess_prevented, cap.legit_discount_blocked) == (Decimal("306.00"), Decimal("0.00"))
    sets = {s["rules"]: (s["excess_prevented"], s["legit_discount_blocked"]) for s in result.sets}
    # cap 5 with the burn rate: B1 195, B2 15, B3 5.50, B4 100, B5 1.50 = 317.00, costing the burn rate's 1.00;
    # with the budget: B1 195, B2 19.50, B3 1, B4 100 = 315.50, costing the budget's 1.50; all three: 321.50, 2.50
    assert sets[("cap-5", "burn")] == (Decimal("317.00"), Decimal("1.00"))
    assert sets[("cap-5", "budget")] == (Decimal("315.50"), Decimal("1.50"))
    assert sets[("cap-5", "budget", "burn")] == (Decimal("321.50"), Decimal("2.50"))
    rec = result.recommendation
    assert rec.rules == ("cap-5", "burn") and rec.reached and rec.sets_considered == 7
    assert (rec.excess_prevented, rec.legit_discount_blocked, rec.share) == (Decimal("317.00"), Decimal("1.00"),
                                                                             Decimal("96.6"))
    # a single rule's figures are its set of one
    assert sets[("burn",)] == (burn.excess_prevented, burn.legit_discount_blocked)
    # the same answer when only the sets that could be cheaper are priced: budget + burn cannot reach
    # 311.60 (169.50 + 107.00 at most), and the triple costs at least the budget's 1.50, more than 1.00
    pruned = one(guard_db, toml)
    assert pruned.recommendation == dataclasses.replace(rec, sets_priced=5)
    assert ("cap-5", "budget", "burn") not in {s["rules"] for s in pruned.sets} and rec.sets_priced == 7
    # nothing reaches 95%: the set that prevents the most, said so
    weak = one(guard_db, '[[rules]]\nname = "budget"\nkind = "per_user_budget"\nmax_per_user = "150.00"\n')
    assert weak.recommendation.rules == ("budget",) and not weak.recommendation.reached
    assert weak.recommendation.sentence().startswith("No combination of these rules prevents 95%")


def test_equal_cost_prefers_the_set_that_prevents_more(guard_db):
    result = one(guard_db, '[[rules]]\nname = "cap-20"\nkind = "per_payment_cap"\nmax_discount = "20.00"\n'
                           '[[rules]]\nname = "cap-0.50"\nkind = "per_payment_cap"\nmax_discount = "0.50"\n')
    # both cost nothing legitimate (every intended discount is 0.50 or 0); cap 0.50 prevents more
    assert result.recommendation.rules == ("cap-0.50",)


# --- the sample incident, the default rules, an independent recomputation -----------------------------------
def cents(col: str) -> pl.Expr:
    return (pl.col(col) * 100).cast(pl.Int64)


def recompute_default_rules(db: Database) -> dict[str, dict]:
    """The five default rules in polars over the analysis's priced rows and config versions, in
    integer cents (no SQL of the guardrails)."""
    s = db.dicts("SELECT campaign_id, bad_change_id, config_window_start, config_window_end, last_affected_at, "
                 "display_tz FROM incident_summary")[0]
    data_from = db.scalar("SELECT min(ts) FROM transactions WHERE type = 'payment'")
    p = db.polars("SELECT txn_id, ts, user_id, campaign_id, discount, expected, excess, in_bad_period, "
                  "priced_by_bad_version FROM priced_transactions").with_columns(
        cents("discount").alias("d"), cents("expected").alias("e"), cents("excess").alias("x"),
        pl.col("ts").dt.convert_time_zone("UTC"))
    at_stake = p.filter(pl.col("x") > 0)["x"].sum()
    out: dict[str, dict] = {}

    def limited(name: str, frame: pl.DataFrame, limit: pl.Expr, tripped_at=None) -> None:
        f = frame.with_columns(limit.alias("lim")).with_columns(pl.min_horizontal("d", "lim").alias("allowed"))
        prevented = f.filter(pl.col("x") > 0).select(
            (pl.col("d") - pl.max_horizontal("e", "allowed")).sum()).item() or 0
        blocked = f.filter(pl.col("d") > pl.col("lim"))
        out[name] = {"payments_blocked": blocked.height, "excess_prevented": prevented,
                     "excess_leaked": at_stake - prevented,
                     "legit_discount_blocked": f.select((pl.col("e") - pl.col("lim")).clip(lower_bound=0).sum()).item(),
                     "legit_payments_blocked": f.filter(pl.col("e") > pl.col("lim")).height,
                     "tripped_at": tripped_at if tripped_at is not None or blocked.is_empty() else blocked["ts"].min()}

    limited("cap-20", p, pl.lit(2000, pl.Int64))
    day = pl.col("ts").dt.convert_time_zone(s["display_tz"]).dt.date()
    spent = p.sort("ts", "txn_id").with_columns(
        (pl.col("d").cum_sum().over("user_id", "campaign_id", day) - pl.col("d")).alias("before"))
    limited("user-budget-50-a-day", spent, (5000 - pl.col("before")).clip(lower_bound=0))

    # burn rate, 60 s against 3600 s, factor 3, pause 30 s after the trip: per-second sums, window sums by cumsum
    W, B = 60, 3600
    secs = p.with_columns((pl.col("ts").dt.epoch("ms") // 1000).alias("sec")).group_by("campaign_id", "sec").agg(
        pl.col("d").sum())
    first = -(-int(data_from.timestamp() * 1000) // 1000)
    edges = []
    for campaign, g in secs.group_by("campaign_id"):
        series = pl.DataFrame({"sec": pl.int_range(first, g["sec"].max() + W + 1, eager=True)}).join(
            g.select("sec", "d"), on="sec", how="left").fill_null(0).with_columns(pl.col("d").cum_sum().alias("c"))
        c = series["c"]
        series = series.with_columns(
            (c.shift(1) - c.shift(W + 1)).alias("trail"), (c.shift(W + 1) - c.shift(W + B + 1)).alias("base"))
        j = series.slice(W + B).with_columns(
            ((pl.col("trail") > 0) & (pl.col("trail") * B > 3 * W * pl.col("base"))).alias("over"))
        j = j.with_columns((pl.col("over") & ~pl.col("over").shift(1).fill_null(False)).alias("starts"),
                           pl.lit(campaign[0]).alias("campaign_id"))
        edges.append(j)
    j = pl.concat(edges)
    bad_ms = int(s["config_window_start"].timestamp() * 1000)
    end_ms = int(max(s["config_window_end"], s["last_affected_at"]).timestamp() * 1000) + W * 1000
    incident = (pl.col("campaign_id") == s["campaign_id"]) & (pl.col("sec") * 1000 >= bad_ms) & (
        pl.col("sec") * 1000 <= end_ms)
    trip_sec = j.filter(incident & pl.col("over"))["sec"].min()
    elsewhere = j.filter(pl.col("starts") & ~incident).height
    trip = datetime.fromtimestamp(trip_sec, timezone.utc)
    pause = p.filter((pl.col("campaign_id") == s["campaign_id"])
                     & (pl.col("ts") >= pl.lit(trip).dt.offset_by("30s"))
                     & (pl.col("ts") < pl.lit(s["config_window_end"]).dt.convert_time_zone("UTC")))
    limited("burn-rate-3x", p.join(pause.select("txn_id", pl.lit(0, pl.Int64).alias("paused")), on="txn_id",
                                   how="left"), pl.col("paused"), tripped_at=trip)
    out["burn-rate-3x"]["trips_elsewhere"] = elsewhere

    # change rules, from the bad change's config version row
    v = db.dicts("SELECT * FROM config_versions WHERE change_id = ?", [s["bad_change_id"]])[0]
    incident_rows = p.filter((pl.col("x") > 0) & (pl.col("in_bad_period") | pl.col("priced_by_bad_version")))
    risky = (v["type_changed"] or v["cap_removed"] or v["scenes_widened_to_all"]
             or (v["discount_value"] or 0) > 5 * (v["prev_discount_value"] or 0))
    allowed = {"shopping", "food_delivery", "groceries", "utility", "ticket", "travel"}
    beyond = "*" in v["scenes"] or bool(set(v["scenes"]) - allowed)
    for name, held in (("second-approver", v["approver"] is None and risky), ("purchase-scenes-only", beyond)):
        prevented = incident_rows["x"].sum() if held else 0
        out[name] = {"payments_blocked": incident_rows.height if held else 0, "excess_prevented": prevented,
                     "excess_leaked": at_stake - prevented, "legit_discount_blocked": 0, "legit_payments_blocked": 0,
                     "tripped_at": v["valid_from"] if held else None}
    return out


def test_the_sample_with_the_default_rules_matches_an_independent_recomputation(sample_db, cli):
    res = cli("replay", "--db", sample_db, "--json")
    assert res.code == 0, res.stderr
    shown = {o["name"]: o for o in json.loads(res.stdout)}
    with Database(sample_db, read_only=True) as db:
        expected = recompute_default_rules(db)
    assert list(shown) == ["cap-20", "user-budget-50-a-day", "burn-rate-3x", "second-approver", "purchase-scenes-only"]
    for name, want in expected.items():
        got = shown[name]
        for key in ("excess_prevented", "excess_leaked", "legit_discount_blocked"):
            assert Decimal(got[key]) * 100 == want[key], (name, key)
            assert isinstance(got[key], str) and Decimal(got[key]).as_tuple().exponent == -2
        for key in ("payments_blocked", "legit_payments_blocked"):
            assert got[key] == want[key], (name, key)
        trip = None if got["tripped_at"] is None else datetime.fromisoformat(got["tripped_at"])
        assert trip == want["tripped_at"], name
        assert got["tripped_at"] is None or got["tripped_at"].endswith("+00:00")
    assert shown["burn-rate-3x"]["trips_elsewhere"] == expected["burn-rate-3x"]["trips_elsewhere"]
    # the sample's answer, in words: the change rules would have held the bad change, the runtime limits
    # would each have left some excess through
    assert shown["second-approver"]["excess_prevented"] == shown["second-approver"]["excess_at_stake"]
    assert all(Decimal(shown[n]["excess_leaked"]) > 0 for n in ("cap-20", "user-budget-50-a-day", "burn-rate-3x"))


def test_the_sample_recommendation_and_the_text_output(sample_db, cli):
    res = cli("replay", "--db", sample_db)
    assert res.code == 0, res.stderr
    assert "Recommended: second-approver: prevents" in res.stdout
    assert "burn-rate-3x (burn_rate)" in res.stdout and "+08:00" in res.stdout


# --- rules files -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("toml, message", [
    ('[[rules]]\nname = "a"\nkind = "per_payment_cap"\nmax_discount = "20.005"\n', "not an exact amount of money"),
    ('[[rules]]\nname = "a"\nkind = "per_payment_cap"\nmax_discount = -1\n', "not an exact amount of money"),
    ('[[rules]]\nname = "a"\nkind = "per_payment_cap"\n', "missing field 'max_discount'"),
    ('[[rules]]\nname = "a"\nkind = "per_payment_cap"\nmax_discont = "1.00"\n', "unknown field(s) 'max_discont'"),
    ('[[rules]]\nname = "a"\nkind = "no_such_kind"\n', "unknown rule kind 'no_such_kind'"),
    ('[[rules]]\nkind = "per_payment_cap"\nmax_discount = "1.00"\n', "missing field 'name'"),
    ('[[rules]]\nname = "a"\nkind = "change_approval"\n[[rules]]\nname = "a"\nkind = "change_approval"\n', "unique"),
    ('[[rules]]\nname = "a"\nkind = "burn_rate"\nwindow_s = 0\n', "whole number of seconds from 1"),
    ('[[rules]]\nname = "a"\nkind = "burn_rate"\nfactor = "lots"\n', "not a number"),
    ('[[rules]]\nname = "a"\nkind = "burn_rate"\nfactor = true\n', "not true/false"),
    ('[[rules]]\nname = "a"\nkind = "per_user_budget"\nmax_per_user = "5.00"\nwindow = "fortnight"\n', "one of day"),
    ('[[rules]]\nname = "a"\nkind = "scene_allowlist"\nscenes = []\n', "list of scene names"),
    ('[[rules]]\nname = "a"\nkind = "change_approval"\ncampaigns = "CMP"\n', "list of campaign ids"),
    ('rules = 3\n', "no rules"),
    ('[[rule]]\nname = "a"\n', "unknown top-level key"),
    ('[[rules]\nname = "a"\n', "not a valid TOML rules file"),
])
def test_a_wrong_rules_file_is_one_clear_error(toml, message):
    with pytest.raises(InputError) as info:
        parse_rules(toml, "r.toml")
    assert message in info.value.message and "r.toml" in info.value.message


def test_a_wrong_rules_file_exits_with_input_error(cli, guard_db, tmp_path):
    bad = tmp_path / "rules.toml"
    bad.write_text('[[rules]]\nname = "cap"\nkind = "per_payment_cap"\nmax_discount = 20.001\n', encoding="utf-8")
    res = cli("replay", "--db", guard_db, "--rules", bad)
    assert res.code == ExitCode.INPUT_ERROR and "Traceback" not in res.stderr
    assert "field 'max_discount'" in res.stderr and str(bad) in res.stderr
    assert cli("replay", "--db", guard_db, "--rules", tmp_path / "none.toml").code == ExitCode.INPUT_ERROR


def test_money_in_a_rules_file_is_exact_as_number_or_text():
    a = parse_rules('[[rules]]\nname = "a"\nkind = "per_payment_cap"\nmax_discount = 20.10\n', "r")
    b = parse_rules('[[rules]]\nname = "a"\nkind = "per_payment_cap"\nmax_discount = "20.1"\n', "r")
    assert a.rules[0].values["max_discount"] == b.rules[0].values["max_discount"] == Decimal("20.10")


def test_every_kind_is_one_file_described_by_its_header():
    kinds = rules_mod.kinds()
    assert set(kinds) == {"per_payment_cap", "per_user_budget", "burn_rate", "change_approval", "scene_allowlist"}
    assert {k.acts_on for k in kinds.values()} == {"payment", "rate", "change"}
    burn = kinds["burn_rate"]
    assert [(p.name, p.default) for p in burn.params] == [("window_s", 60), ("baseline_s", 3600),
                                                          ("factor", Decimal("3")), ("delay_s", 30)]
    # a header that does not match its SQL is refused
    text = "-- x_rule: a test\n-- acts on: payment\n-- describe: d\nSELECT $undeclared AS limit_amount\n"
    with pytest.raises(ValueError, match="declared parameters"):
        rules_mod.parse_header("x_rule", text)
    with pytest.raises(ValueError, match="clashes"):
        rules_mod.parse_header("x_rule", "-- x_rule: t\n-- acts on: change\n-- param bad_from (money): x\n"
                                         "-- describe: d\nSELECT $bad_from\n")


def test_the_default_rule_set_loads():
    rules = load_rules()
    assert [r.kind.kind for r in rules] == ["per_payment_cap", "per_user_budget", "burn_rate", "change_approval",
                                            "scene_allowlist"]
    assert rules.rules[0].describe() == "no payment keeps more than 20.00 of discount"


def test_try_rule_refuses_odd_input_with_the_field_named(guard_db):
    with Database(guard_db, read_only=True) as db:
        with pytest.raises(InputError, match="field 'max_discount'"):
            try_rule(db, "per_payment_cap", (("max_discount", "12,5"),))
        with pytest.raises(InputError, match="exact amount of money"):
            try_rule(db, "per_payment_cap", (("max_discount", "0.001"),))
        with pytest.raises(InputError, match="field 'factor'"):
            try_rule(db, "burn_rate", (("factor", "NaN"),))
        ok = try_rule(db, "per_payment_cap", (("max_discount", "20"),))
    assert ok.outcomes[0].excess_prevented == Decimal("260.00")


def test_a_database_not_analyzed_is_a_clear_error(cli, tmp_path):
    from analyzer.ingest import ingest

    (tmp_path / "txns.csv").write_text("\n".join([HEADER, *PAYMENTS]) + "\n", encoding="utf-8")
    path = tmp_path / "raw.duckdb"
    with Database(path) as db:
        ingest(db, transactions=[tmp_path / "txns.csv"])
    res = cli("replay", "--db", path)
    assert res.code == ExitCode.DATA_ERROR and "analyzer analyze" in res.stderr


# --- lint-change -----------------------------------------------------------------------------------------
def change_line(sample_dir: Path, change_id: str, tmp_path: Path) -> Path:
    for line in (sample_dir / "config_changes.jsonl").read_text(encoding="utf-8").splitlines():
        if json.loads(line)["change_id"] == change_id:
            target = tmp_path / f"{change_id}.json"
            target.write_text(line + "\n", encoding="utf-8")
            return target
    raise KeyError(change_id)


def test_lint_blocks_the_sample_bad_change(cli, sample_db, sample_dir, tmp_path):
    res = cli("lint-change", change_line(sample_dir, "CHG-20250116-0042", tmp_path), "--db", sample_db)
    assert res.code == ExitCode.BLOCKED == 7, res.stderr
    assert "BLOCK  second-approver: change_approval holds it: no approver; changes the discount type" in res.stdout
    assert "BLOCK  purchase-scenes-only" in res.stdout
    assert "the first percent discount campaign CMP-NY-INSTANT ever had" in res.stdout
    assert "burn-rate-3x trips" in res.stdout
    assert "blocked by second-approver, purchase-scenes-only" in res.stderr


def test_lint_passes_the_sample_legitimate_change(cli, sample_db, sample_dir, tmp_path):
    path = change_line(sample_dir, "CHG-20250116-0039", tmp_path)
    res = cli("lint-change", path, "--db", sample_db)
    assert res.code == 0, res.stdout + res.stderr
    assert "pass: CHG-20250116-0039 may go live" in res.stdout and "BLOCK" not in res.stdout
    assert "cap 20.00 is above any cap CMP-TRAVEL-5 had (largest: 15.00)" in res.stdout
    data = json.loads(cli("lint-change", path, "--db", sample_db, "--json").stdout)
    assert data["blocked"] is False and data["replaces"] == "CHG-20250110-0012"


def test_lint_what_if_prices_the_last_hours_exactly(sample_db, sample_dir, tmp_path):
    """The what-if against the payments of the window, priced in Python by analyzer.analysis.model."""
    from analyzer.analysis.model import DiscountConfig, apply
    from analyzer.guardrails.lint import lint_change

    path = change_line(sample_dir, "CHG-20250116-0042", tmp_path)
    with Database(sample_db, read_only=True) as db:
        result = lint_change(db, path, load_rules(), hours=1)
        rows = db.dicts("SELECT amount, scene FROM transactions WHERE type = 'payment' AND campaign_id = "
                        "'CMP-NY-INSTANT' AND ts >= TIMESTAMPTZ '2025-01-16 05:40:00Z' AND ts < TIMESTAMPTZ "
                        "'2025-01-16 06:40:00Z'")
    w = result.what_if
    assert (w.window_start, w.window_end) == (utc("2025-01-16T05:40:00Z"), utc("2025-01-16T06:40:00Z"))
    now = DiscountConfig("fixed", Decimal("0.50"), None, Decimal("5.00"), ("shopping", "food_delivery", "groceries"))
    proposed = DiscountConfig("percent", Decimal("20"), None, None, ("*",))
    assert w.payments == len(rows)
    assert w.current_discount == sum(apply(now, r["amount"], r["scene"]) for r in rows)
    assert w.proposed_discount == sum(apply(proposed, r["amount"], r["scene"]) for r in rows)
    assert w.per_hour(w.proposed_discount - w.current_discount) == w.proposed_discount - w.current_discount


def test_lint_sees_the_proposal_as_config_versions_sees_the_logged_changes(sample_db, sample_dir, tmp_path):
    from analyzer.guardrails.lint import lint_change

    flags = ("prev_change_id", "type_changed", "value_changed", "cap_removed", "scenes_widened_to_all", "min_removed")
    with Database(sample_db, read_only=True) as db:
        versions = {r["change_id"]: r for r in db.dicts("SELECT * FROM config_versions")}
        for change_id, row in versions.items():
            linted = lint_change(db, change_line(sample_dir, change_id, tmp_path), load_rules()).change
            assert {f: linted[f] for f in flags} == {f: row[f] for f in flags}, change_id


def test_lint_without_ts_and_with_bad_input(cli, sample_db, tmp_path):
    proposal = {"change_id": "CHG-NEXT", "campaign_id": "CMP-NY-INSTANT", "actor": "x", "approver": "y",
                "version": "CMP-NY-INSTANT@v5", "config": {"discount_type": "fixed", "discount_value": "0.60",
                                                          "max_discount": None, "min_amount": "5.00",
                                                          "scenes": ["shopping", "food_delivery", "groceries"],
                                                          "enabled": True}}
    path = tmp_path / "next.json"
    path.write_text(json.dumps(proposal, indent=2), encoding="utf-8")
    res = cli("lint-change", path, "--db", sample_db, "--json")
    assert res.code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["ts_given"] is False and data["replaces"] == "CHG-20250116-0047"
    assert any("above anything CMP-NY-INSTANT had" in f["message"] for f in data["findings"])
    proposal["config"]["min_amount"] = "5.005"  # not a cent amount: refused by the ingest's own validation
    path.write_text(json.dumps(proposal), encoding="utf-8")
    res = cli("lint-change", path, "--db", sample_db)
    assert res.code == ExitCode.INPUT_ERROR and "Traceback" not in res.stderr
    assert str(path) in res.stderr and "min_amount" in res.stderr, res.stderr
    naive = dict(proposal, ts="2025-01-16 15:00:00")
    naive["config"]["min_amount"] = "5.00"
    path.write_text(json.dumps(naive), encoding="utf-8")
    res = cli("lint-change", path, "--db", sample_db)
    assert res.code == ExitCode.INPUT_ERROR and "--tz" in res.stderr
    assert cli("lint-change", path, "--db", sample_db, "--tz", "Asia/Shanghai").code == 0
