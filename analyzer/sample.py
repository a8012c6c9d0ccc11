"""`analyzer sample`: a realistic campaign-config incident, plus the expected answers.

The scenario (Asia/Shanghai, 2025-01-16): a busy afternoon of payments (13:00-17:00 local)
priced by eight pricing nodes that pick config changes up with a lag; three campaigns, one of
which (CMP-NY-INSTANT) gets a bad config change at 14:40:00 (fixed 0.50 -> 20 % off every
scene, no cap, no minimum) that is rolled back at 14:45:00; a legitimate change of
CMP-TRAVEL-5 at 14:33:00; about forty exploiters making large transfers and card repayments
inside the window; refunds that evening; alerts, scam-message reports and the statement next
morning; and a handful of malformed, duplicated and conflicting rows.

Everything is vectorised over payments (numpy for the numbers, polars for rendering), money is
integer cents (int64) and written as decimal strings with two decimals. The truth (`truth/`) is
computed from the generator's own knowledge (which node priced each payment with which version)
and the intended config, never by re-implementing the analysis.

Output is byte-identical for the same seed and size.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from analyzer.analysis.model import ALL_SCENES, DiscountConfig

__all__ = [
    "BAD_CHANGE_ID",
    "CAMPAIGNS",
    "FIX_CHANGE_ID",
    "NODES",
    "NODE_LAGS_MS",
    "SCENES",
    "SCENE_CODE",
    "SampleResult",
    "TRANSACTION_COLUMNS",
    "apply_cents",
    "config_changes",
    "generate",
]

# --------------------------------------------------------------------------------------------
# Constants of the scenario
# --------------------------------------------------------------------------------------------

TZ_NAME = "Asia/Shanghai"
TZ_OFFSET_MS = 8 * 3600 * 1000
TZ_SUFFIX = "+08:00"

TRANSACTION_COLUMNS = (
    "txn_id",
    "ts",
    "user_id",
    "merchant_id",
    "scene",
    "amount",
    "discount",
    "paid",
    "campaign_id",
    "config_version",
    "type",
    "original_txn_id",
)
EVENT_COLUMNS = ("ts", "source", "kind", "title", "detail", "severity", "user_id", "ref")

SCENES = (
    "shopping",
    "food_delivery",
    "groceries",
    "transfer",
    "credit_card_repayment",
    "rent",
    "utility",
    "ticket",
    "travel",
    "game_topup",
)
SCENE_CODE = {s: i for i, s in enumerate(SCENES)}

NY, TRAVEL, UTILITY = 0, 1, 2
CAMPAIGNS = ("CMP-NY-INSTANT", "CMP-TRAVEL-5", "CMP-UTILITY-2")
# Which campaign evaluates a payment of each scene (decided upfront, independent of config).
CAMPAIGN_OF_SCENE = np.array(
    [TRAVEL if s in ("ticket", "travel") else UTILITY if s == "utility" else NY for s in SCENES],
    dtype=np.int8,
)

NODES = tuple(f"pricing-node-{i:02d}" for i in range(1, 9))
NODE_LAGS_MS = np.array([0, 1500, 4000, 7000, 11000, 16000, 22000, 30000], dtype=np.int64)
NODES_LOGGING_VERSION = 5  # pricing-node-01..05 log config_version; 06..08 leave it empty

BAD_CHANGE_ID = "CHG-20250116-0042"
FIX_CHANGE_ID = "CHG-20250116-0047"

ID_BASE = 202_501_160_000  # txn ids: "T"/"R" + 12 digits, increasing with time
ID_STRIDE = 16  # ids of generated rows use residues 0..7 modulo 16; injected rows 8..15

MIN_PAYMENTS = 1_000
RENDER_CHUNK = 500_000


def _local_ms(hour: int, minute: int, second: int = 0, milli: int = 0, day: int = 16) -> int:
    """Epoch milliseconds (UTC) of a local (UTC+8) wall-clock time in January 2025."""
    return calendar.timegm((2025, 1, day, hour, minute, second, 0, 0, 0)) * 1000 + milli - TZ_OFFSET_MS


AFTERNOON_START = _local_ms(13, 0)
AFTERNOON_END = _local_ms(17, 0)
TRAVEL_CHANGE_AT = _local_ms(14, 33)
BAD_AT = _local_ms(14, 40)
FIX_AT = _local_ms(14, 45)
EXPLOIT_START = _local_ms(14, 41, 30)
CSV_PAYMENT_CUTOFF = _local_ms(16, 52)  # later payments only arrive in the replay batch
REFUND_START = _local_ms(19, 0)
REFUND_TWO_PART_FIRST_END = _local_ms(21, 0)
REPLAY_REFUND_CUTOFF = _local_ms(21, 30)  # later refunds only arrive in the replay batch
REFUND_END = _local_ms(22, 30)


def iso_utc(ms: int) -> str:
    """`2025-01-16T06:40:00.000Z` for epoch milliseconds."""
    sec, milli = divmod(int(ms), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{milli:03d}Z"


def _iso_local(ms: int) -> str:
    """`2025-01-16T14:40:03.123+08:00` for epoch milliseconds."""
    return iso_utc(ms + TZ_OFFSET_MS)[:-1] + TZ_SUFFIX


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{frac:02d}"


# --------------------------------------------------------------------------------------------
# Config changes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Change:
    change_id: str
    ts_ms: int
    campaign: int
    actor: str
    approver: str | None
    ticket: str
    action: str
    version: str
    config_doc: dict[str, Any]

    @property
    def config(self) -> DiscountConfig:
        # Read back through the JSON text we write, exactly as ingest will.
        return DiscountConfig.from_json(json.dumps(self.config_doc))

    def to_json_line(self) -> str:
        return json.dumps(
            {
                "change_id": self.change_id,
                "ts": iso_utc(self.ts_ms),
                "campaign_id": CAMPAIGNS[self.campaign],
                "actor": self.actor,
                "approver": self.approver,
                "ticket": self.ticket,
                "action": self.action,
                "version": self.version,
                "config": self.config_doc,
            },
            ensure_ascii=False,
        )


def config_changes() -> list[_Change]:
    """Every config change of the scenario, ordered by ts.

    Money and percentages are deliberately written sometimes as JSON numbers and sometimes as
    decimal strings; the fix (v4) restores v2's config in a different spelling.
    """
    ny_scenes = ["shopping", "food_delivery", "groceries"]
    changes = [
        _Change("CHG-20250110-0011", _local_ms(10, 12, day=10), NY, "zhao.min", "mkt.lead.chen",
                "MKT-2203", "create", "CMP-NY-INSTANT@v1",
                {"discount_type": "fixed", "discount_value": "0.50", "max_discount": None,
                 "min_amount": "10.00", "scenes": ["shopping", "food_delivery"], "enabled": True}),
        _Change("CHG-20250110-0012", _local_ms(10, 15, day=10), TRAVEL, "liu.yang", "mkt.lead.chen",
                "MKT-2204", "create", "CMP-TRAVEL-5@v1",
                {"discount_type": "percent", "discount_value": 5, "max_discount": "15.00",
                 "min_amount": "100.00", "scenes": ["ticket", "travel"], "enabled": True}),
        _Change("CHG-20250110-0013", _local_ms(10, 20, day=10), UTILITY, "liu.yang", "mkt.lead.chen",
                "MKT-2205", "create", "CMP-UTILITY-2@v1",
                {"discount_type": "fixed", "discount_value": 2, "max_discount": None,
                 "min_amount": "50.00", "scenes": ["utility"], "enabled": True}),
        _Change("CHG-20250114-0027", _local_ms(16, 5, day=14), NY, "zhao.min", "mkt.lead.chen",
                "MKT-2244", "update", "CMP-NY-INSTANT@v2",
                {"discount_type": "fixed", "discount_value": 0.5, "max_discount": None,
                 "min_amount": "5.00", "scenes": list(ny_scenes), "enabled": True}),
        _Change("CHG-20250116-0039", TRAVEL_CHANGE_AT, TRAVEL, "liu.yang", "mkt.lead.chen",
                "MKT-2270", "update", "CMP-TRAVEL-5@v2",
                {"discount_type": "percent", "discount_value": "5", "max_discount": 20.0,
                 "min_amount": 100, "scenes": ["ticket", "travel"], "enabled": True}),
        _Change(BAD_CHANGE_ID, BAD_AT, NY, "zhang.wei", None,
                "MKT-2291", "update", "CMP-NY-INSTANT@v3",
                {"discount_type": "percent", "discount_value": 20, "max_discount": None,
                 "min_amount": None, "scenes": [ALL_SCENES], "enabled": True}),
        _Change(FIX_CHANGE_ID, FIX_AT, NY, "oncall.li", "sre.lead.wang",
                "INC-3317", "rollback", "CMP-NY-INSTANT@v4",
                {"discount_type": "fixed", "discount_value": "0.50", "max_discount": None,
                 "min_amount": 5.0, "scenes": list(ny_scenes), "enabled": True}),
    ]
    return sorted(changes, key=lambda c: c.ts_ms)


# --------------------------------------------------------------------------------------------
# The discount model, vectorised over integer cents
# --------------------------------------------------------------------------------------------


def _whole_cents(value: Decimal, field: str) -> int:
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{field} {value} is not a whole number of cents")
    return int(cents)


def apply_cents(config: DiscountConfig, amount_c: np.ndarray, scene_codes: np.ndarray) -> np.ndarray:
    """`analyzer.analysis.model.apply` over arrays: amounts in int64 cents, scenes as codes of SCENES.

    Percent: round(amount * value / 100) half away from zero (amounts are >= 0), computed
    exactly in integers from the value's exact ratio p/q; capped by max_discount; never more
    than the amount; 0 when disabled, ineligible or below min_amount.
    """
    amount_c = np.asarray(amount_c, dtype=np.int64)
    out = np.zeros(amount_c.shape, dtype=np.int64)
    if not config.enabled or config.discount_type == "none":
        return out
    if ALL_SCENES in config.scenes:
        eligible = np.ones(amount_c.shape, dtype=bool)
    else:
        codes = [SCENE_CODE[s] for s in config.scenes if s in SCENE_CODE]
        eligible = np.isin(scene_codes, np.array(codes, dtype=np.int8))
    if config.min_amount is not None:
        eligible &= amount_c >= _whole_cents(config.min_amount, "min_amount")
    a = amount_c[eligible]
    if config.discount_type == "fixed":
        d = np.full(a.shape, _whole_cents(config.discount_value, "discount_value"), dtype=np.int64)
    else:
        p, q = config.discount_value.as_integer_ratio()
        if p < 0:
            raise ValueError("negative percentage")
        # round_half_up(a * p / (100 q)) for a >= 0, in exact integer arithmetic
        d = (2 * a * p + 100 * q) // (200 * q)
        if config.max_discount is not None:
            d = np.minimum(d, _whole_cents(config.max_discount, "max_discount"))
    out[eligible] = np.clip(d, 0, a)
    return out


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleResult:
    """What `generate` wrote, and the headline numbers of the truth."""

    out_dir: Path
    transactions_csv: Path
    transactions_replay: Path
    config_changes: Path
    events: Path
    readme: Path
    truth_summary: Path
    truth_affected_transactions: Path
    truth_affected_users: Path
    seed: int
    payments: int  # valid payments generated (CSV + replay batch; includes the 2 conflicted ids)
    refunds: int  # valid refunds generated
    transaction_rows_read: int  # data rows over transactions.csv + transactions_replay.jsonl
    transaction_rows_loaded: int
    affected_txns: int
    affected_users: int
    affected_merchants: int
    exploiters: int
    excess_total: str
    net_excess_total: str
    bad_change_id: str = BAD_CHANGE_ID
    fix_change_id: str = FIX_CHANGE_ID

    @property
    def truth_dir(self) -> Path:
        return self.out_dir / "truth"

    @property
    def data_files(self) -> tuple[Path, ...]:
        return (self.transactions_csv, self.transactions_replay, self.config_changes, self.events)

    @property
    def files(self) -> tuple[Path, ...]:
        return (
            *self.data_files,
            self.readme,
            self.truth_summary,
            self.truth_affected_transactions,
            self.truth_affected_users,
        )


# --------------------------------------------------------------------------------------------
# Generation: population, payments, refunds
# --------------------------------------------------------------------------------------------

# scene -> (median yuan, log sigma, min yuan, max yuan)
_AMOUNT_SHAPE = {
    "shopping": (79.0, 1.0, 1.0, 20_000.0),
    "food_delivery": (36.0, 0.45, 3.0, 600.0),
    "groceries": (58.0, 0.7, 1.5, 3_000.0),
    "transfer": (260.0, 1.5, 1.0, 200_000.0),
    "credit_card_repayment": (2_300.0, 1.0, 100.0, 100_000.0),
    "rent": (3_200.0, 0.45, 800.0, 30_000.0),
    "utility": (115.0, 0.7, 10.0, 5_000.0),
    "ticket": (168.0, 0.9, 10.0, 8_000.0),
    "travel": (980.0, 0.8, 50.0, 60_000.0),
}
_GAME_TOPUPS = np.array([6, 30, 68, 128, 198, 328, 648], dtype=np.int64) * 100
_GAME_TOPUP_P = np.array([0.22, 0.30, 0.18, 0.14, 0.07, 0.06, 0.03])

_BASE_MIX = {
    "shopping": 0.32, "food_delivery": 0.20, "groceries": 0.12, "transfer": 0.12,
    "credit_card_repayment": 0.04, "rent": 0.015, "utility": 0.05, "ticket": 0.05,
    "travel": 0.025, "game_topup": 0.06,
}
# The extra traffic while word spreads leans to transfers and repayments.
_SPIKE_MIX = {
    "shopping": 0.15, "food_delivery": 0.05, "transfer": 0.40,
    "credit_card_repayment": 0.25, "rent": 0.05, "game_topup": 0.10,
}
_N_BANKS = 12


def _mix_probs(mix: dict[str, float]) -> np.ndarray:
    p = np.array([mix.get(s, 0.0) for s in SCENES])
    return p / p.sum()


def _draw_codes(rng: np.random.Generator, probs: np.ndarray, n: int) -> np.ndarray:
    cdf = np.cumsum(probs)
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(probs) - 1).astype(np.int8)


def _weighted_index(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    idx = np.searchsorted(cdf, rng.random(n), side="right")
    return np.minimum(idx, len(weights) - 1)


def _amounts(rng: np.random.Generator, scene: np.ndarray) -> np.ndarray:
    """Order amounts in int64 cents, per scene (log-normal-ish; round yuan where people do)."""
    out = np.zeros(scene.shape, dtype=np.int64)
    for code, name in enumerate(SCENES):
        mask = scene == code
        n = int(mask.sum())
        if n == 0:
            continue
        if name == "game_topup":
            out[mask] = _GAME_TOPUPS[_weighted_index(rng, _GAME_TOPUP_P, n)]
            continue
        median, sigma, lo, hi = _AMOUNT_SHAPE[name]
        yuan = np.clip(median * np.exp(sigma * rng.standard_normal(n)), lo, hi)
        cents = np.round(yuan * 100).astype(np.int64)
        u = rng.random(n)
        if name == "transfer":
            whole = u < 0.55
            cents[whole] = np.round(yuan[whole]).astype(np.int64) * 100
            hundreds = u < 0.22
            cents[hundreds] = np.maximum(np.round(yuan[hundreds] / 100), 1).astype(np.int64) * 10_000
        elif name == "credit_card_repayment":
            whole = u < 0.35
            cents[whole] = np.round(yuan[whole]).astype(np.int64) * 100
        elif name == "rent":
            hundreds = u < 0.85
            cents[hundreds] = np.round(yuan[hundreds] / 100).astype(np.int64) * 10_000
        out[mask] = np.maximum(cents, 100)
    return out


def _rate_weights(bin_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """Base and extra (incident spike) traffic weights per bin over the afternoon."""
    n_bins = (AFTERNOON_END - AFTERNOON_START) // bin_ms
    t = AFTERNOON_START + (np.arange(n_bins, dtype=np.int64) * bin_ms) + bin_ms // 2
    hours = (t - AFTERNOON_START) / 3_600_000.0
    base = 1.0 + 0.18 * np.sin(np.pi * hours / 4.0) + 0.05 * np.sin(np.pi * hours * 1.5)
    extra = np.zeros(n_bins)
    ramp_end = BAD_AT + 4 * 60_000
    ramp = (t >= BAD_AT) & (t < ramp_end)
    extra[ramp] = 2.0 * (t[ramp] - BAD_AT) / (ramp_end - BAD_AT)
    extra[(t >= ramp_end) & (t < FIX_AT)] = 2.0
    after = t >= FIX_AT
    extra[after] = 2.0 * np.exp(-(t[after] - FIX_AT) / 45_000.0)
    extra[t >= FIX_AT + 8 * 60_000] = 0.0
    return base, extra * base


def _sample_times(rng: np.random.Generator, weights: np.ndarray, bin_ms: int, n: int) -> np.ndarray:
    b = _weighted_index(rng, weights, n).astype(np.int64)
    return AFTERNOON_START + b * bin_ms + rng.integers(0, bin_ms, n)


def _prefixed(prefix: str, nums: np.ndarray) -> pl.Series:
    return pl.select(pl.lit(prefix) + pl.Series(nums).cast(pl.String)).to_series()


@dataclass
class _Population:
    users: pl.Series  # "U" + 8 digits
    user_weights: np.ndarray
    payees: pl.Series  # merchants ("M" + 6 digits) then persons ("P" + 8 digits)
    merchant_ranges: dict[int, tuple[int, int]]  # scene code -> [lo, hi) into payees
    merchant_weights: np.ndarray  # one per payee slot
    person_lo: int
    n_persons: int


def _population(rng: np.random.Generator, payments: int) -> _Population:
    n_users = max(payments // 8, 200)
    user_nums = 10_000_000 + rng.choice(90_000_000, n_users, replace=False)
    users = _prefixed("U", user_nums)
    user_weights = rng.lognormal(0.0, 1.1, n_users)

    # merchants per scene (transfers go to persons instead)
    n_merchants = int(np.clip(payments // 40, 300, 600_000))
    merchant_scenes = [s for s in SCENES if s not in ("transfer", "credit_card_repayment")]
    share = np.array([_BASE_MIX[s] for s in merchant_scenes])
    sizes = np.maximum(np.floor(share / share.sum() * n_merchants).astype(np.int64), 5)
    counts = {SCENE_CODE[s]: int(k) for s, k in zip(merchant_scenes, sizes, strict=True)}
    counts[SCENE_CODE["credit_card_repayment"]] = _N_BANKS
    total_merchants = sum(counts.values())
    merchant_nums = 100_000 + rng.choice(900_000, total_merchants, replace=False)
    ranges: dict[int, tuple[int, int]] = {}
    lo = 0
    for code in sorted(counts):
        ranges[code] = (lo, lo + counts[code])
        lo += counts[code]
    n_persons = max(payments // 10, 100)
    person_nums = 10_000_000 + rng.choice(90_000_000, n_persons, replace=False)
    payees = pl.concat(
        [
            _prefixed("M", merchant_nums),
            _prefixed("P", person_nums),
        ]
    )
    weights = np.concatenate([rng.lognormal(0.0, 1.3, total_merchants), np.ones(n_persons)])
    return _Population(users, user_weights, payees, ranges, weights, total_merchants, n_persons)


def _payees_for(rng: np.random.Generator, pop: _Population, scene: np.ndarray) -> np.ndarray:
    out = np.zeros(scene.shape, dtype=np.int64)
    for code in range(len(SCENES)):
        mask = scene == code
        n = int(mask.sum())
        if n == 0:
            continue
        if code == SCENE_CODE["transfer"]:
            out[mask] = pop.person_lo + rng.integers(0, pop.n_persons, n)
        else:
            lo, hi = pop.merchant_ranges[code]
            out[mask] = lo + _weighted_index(rng, pop.merchant_weights[lo:hi], n)
    return out


@dataclass
class _Payments:
    ts: np.ndarray  # int64 epoch ms, sorted
    user: np.ndarray  # index into pop.users
    payee: np.ndarray  # index into pop.payees
    scene: np.ndarray  # int8 scene code
    amount: np.ndarray  # int64 cents
    node: np.ndarray  # int8 node index (0..7)
    version: np.ndarray  # int8 index into changes: the version that priced it
    intended: np.ndarray  # int8 index into changes: the intended version
    discount: np.ndarray  # int64 cents actually given
    expected: np.ndarray  # int64 cents apply(intended)
    campaign_logged: np.ndarray  # int8 campaign index or -1
    version_logged: np.ndarray  # int8 change index or -1
    exploit: np.ndarray  # bool: an exploiter's window/tail payment
    id_num: np.ndarray  # int64
    exploiters: np.ndarray  # user indices of the exploiters


def _payments(rng: np.random.Generator, payments: int, pop: _Population, changes: list[_Change]) -> _Payments:
    # --- exploiters: many large transfers / card repayments from ~14:41:30 until the fix
    n_expl = 40 if payments >= 20_000 else max(3, payments // 500)
    exploiters = rng.choice(len(pop.user_weights), n_expl, replace=False)
    per = rng.integers(10, 61, n_expl)
    start = EXPLOIT_START + rng.integers(0, 120_000, n_expl)
    e_user = np.repeat(exploiters, per)
    e_ts = rng.integers(np.repeat(start, per), FIX_AT)
    e_node = rng.integers(0, len(NODES), len(e_ts))
    # a few keep going past the rollback; some of those land on lagging nodes
    n_tail = (rng.random(n_expl) < 0.5).astype(np.int64) + (rng.random(n_expl) < 0.2)
    n_tail[:3] = np.maximum(n_tail[:3], 1)
    t_user = np.repeat(exploiters, n_tail)
    t_ts = FIX_AT + rng.integers(0, 60_000, len(t_user))
    t_node = rng.integers(0, len(NODES), len(t_user))
    first = np.concatenate([[0], np.cumsum(n_tail)[:-1]])[:3]  # first tail txn of exploiters 0..2
    forced_nodes = np.array([4, 6, 7])  # pricing-node-05 (logs version), -07, -08
    t_node[first] = forced_nodes
    t_ts[first] = FIX_AT + rng.integers(300, NODE_LAGS_MS[forced_nodes] - 500)
    x_user = np.concatenate([e_user, t_user])
    x_ts = np.concatenate([e_ts, t_ts])
    x_node = np.concatenate([e_node, t_node])
    p_transfer = np.repeat(rng.uniform(0.35, 0.9, n_expl), per + n_tail)
    x_scene = np.where(
        rng.random(len(x_ts)) < p_transfer, SCENE_CODE["transfer"], SCENE_CODE["credit_card_repayment"]
    ).astype(np.int8)
    x_yuan = np.exp(rng.uniform(np.log(1_000.0), np.log(50_000.0), len(x_ts)))
    x_amount = np.where(
        rng.random(len(x_ts)) < 0.7,
        np.maximum(np.round(x_yuan / 100), 10).astype(np.int64) * 10_000,
        np.round(x_yuan).astype(np.int64) * 100,
    )
    x_amount = np.clip(x_amount, 100_000, 5_000_000)
    mules = pop.person_lo + rng.integers(0, pop.n_persons, (n_expl, 2))
    banks = pop.merchant_ranges[SCENE_CODE["credit_card_repayment"]][0] + rng.integers(0, _N_BANKS, n_expl)
    owner = np.repeat(np.arange(n_expl), per + n_tail)
    x_payee = np.where(
        x_scene == SCENE_CODE["transfer"], mules[owner, rng.integers(0, 2, len(x_ts))], banks[owner]
    )
    n_x = len(x_ts)
    if n_x * 3 > payments:
        raise ValueError(f"payments={payments} is too small for the exploiters ({n_x} payments)")

    # --- ordinary traffic: base shape plus the spike while word spreads
    n_ord = payments - n_x
    bin_ms = 100
    base_w, extra_w = _rate_weights(bin_ms)
    n_spike = int(round(n_ord * extra_w.sum() / (base_w.sum() + extra_w.sum())))
    n_base = n_ord - n_spike
    o_ts = np.concatenate(
        [_sample_times(rng, base_w, bin_ms, n_base), _sample_times(rng, extra_w, bin_ms, n_spike)]
    )
    o_scene = np.concatenate(
        [_draw_codes(rng, _mix_probs(_BASE_MIX), n_base), _draw_codes(rng, _mix_probs(_SPIKE_MIX), n_spike)]
    )
    o_user = _weighted_index(rng, pop.user_weights, n_ord)
    o_payee = _payees_for(rng, pop, o_scene)
    o_amount = _amounts(rng, o_scene)
    o_node = rng.integers(0, len(NODES), n_ord)

    ts = np.concatenate([o_ts, x_ts])
    order = np.argsort(ts, kind="stable")
    ts = ts[order]
    user = np.concatenate([o_user, x_user])[order].astype(np.int32)
    payee = np.concatenate([o_payee, x_payee])[order].astype(np.int32)
    scene = np.concatenate([o_scene, x_scene])[order].astype(np.int8)
    amount = np.concatenate([o_amount, x_amount])[order]
    node = np.concatenate([o_node, x_node])[order].astype(np.int8)
    exploit = np.concatenate([np.zeros(n_ord, bool), np.ones(n_x, bool)])[order]
    del o_ts, o_scene, o_user, o_payee, o_amount, o_node, order

    # --- pricing: each node sees a change at change_ts + its lag
    campaign = CAMPAIGN_OF_SCENE[scene]
    lag = NODE_LAGS_MS[node]
    version = np.full(len(ts), -1, dtype=np.int8)
    for k in range(len(CAMPAIGNS)):
        mask = campaign == k
        idx = np.flatnonzero(mask)
        seen = ts[idx] - lag[idx]
        local = np.full(len(idx), -1, dtype=np.int8)
        for ci, ch in enumerate(changes):
            if ch.campaign == k:
                local = np.where(seen >= ch.ts_ms, np.int8(ci), local)
        version[idx] = local
    if (version < 0).any():
        raise AssertionError("a payment priced before its campaign existed")
    del lag

    bad = next(i for i, c in enumerate(changes) if c.change_id == BAD_CHANGE_ID)
    pre_bad = max(
        (i for i, c in enumerate(changes) if c.campaign == changes[bad].campaign and c.ts_ms < changes[bad].ts_ms),
        key=lambda i: changes[i].ts_ms,
    )
    intended = np.where(version == bad, np.int8(pre_bad), version).astype(np.int8)
    configs = [c.config for c in changes]
    discount = np.zeros(len(ts), dtype=np.int64)
    expected = np.zeros(len(ts), dtype=np.int64)
    for vi, cfg in enumerate(configs):
        m = version == vi
        if m.any():
            discount[m] = apply_cents(cfg, amount[m], scene[m])
        m = intended == vi
        if m.any():
            expected[m] = apply_cents(cfg, amount[m], scene[m])
    has_campaign = discount > 0
    if (expected[~has_campaign] != 0).any():
        raise AssertionError("a payment without a logged campaign would be under-discounted")
    campaign_logged = np.where(has_campaign, campaign, -1).astype(np.int8)
    version_logged = np.where(has_campaign & (node < NODES_LOGGING_VERSION), version, -1).astype(np.int8)

    id_num = ID_BASE + np.arange(len(ts), dtype=np.int64) * ID_STRIDE + rng.integers(0, ID_STRIDE // 2, len(ts))
    return _Payments(
        ts, user, payee, scene, amount, node, version, intended, discount, expected,
        campaign_logged, version_logged, exploit, id_num, np.sort(exploiters),
    )


@dataclass
class _Refunds:
    ts: np.ndarray
    orig: np.ndarray  # payment index
    amount: np.ndarray  # cents returned
    id_num: np.ndarray


def _bounded_part(rng: np.random.Generator, paid: np.ndarray) -> np.ndarray:
    """A partial amount in [~10 %, ~90 %] of paid, at least 1 cent and less than paid."""
    lo = np.maximum(1, paid // 10)
    hi = np.maximum(lo + 1, paid - paid // 10)
    return rng.integers(lo, hi)


def _refunds(rng: np.random.Generator, pay: _Payments) -> _Refunds:
    paid = pay.amount - pay.discount
    affected = pay.expected != pay.discount
    cand_aff = rng.permutation(np.flatnonzero(affected & ~pay.exploit))
    n = len(cand_aff)
    k_full, k_part, k_two = max(1, round(0.06 * n)), max(1, round(0.03 * n)), max(2, round(0.01 * n))
    if k_full + k_part + k_two > n:
        raise ValueError("too few affected payments to refund; use more payments")
    a_full = cand_aff[:k_full]
    a_part = cand_aff[k_full : k_full + k_part]
    a_two = cand_aff[k_full + k_part : k_full + k_part + k_two]

    cand_ord = np.flatnonzero(~affected & ~pay.exploit & (paid >= 2))
    k = max(10, round(0.008 * len(cand_ord)))
    chosen = rng.choice(cand_ord, k, replace=False)
    u = rng.random(k)
    o_full, o_part, o_two = chosen[u < 0.80], chosen[(u >= 0.80) & (u < 0.95)], chosen[u >= 0.95]

    full = np.concatenate([a_full, o_full])
    part = np.concatenate([a_part, o_part])
    two = np.concatenate([a_two, o_two])
    two_affected = np.concatenate([np.ones(len(a_two), bool), np.zeros(len(o_two), bool)])

    full_ts = rng.integers(REFUND_START, REFUND_END, len(full))
    part_ts = rng.integers(REFUND_START, REFUND_END, len(part))
    part_amt = _bounded_part(rng, paid[part])
    first_ts = rng.integers(REFUND_START, REFUND_TWO_PART_FIRST_END, len(two))
    # the affected two-part refunds complete only in the late (replay) batch
    second_lo = np.where(two_affected, REPLAY_REFUND_CUTOFF + 10 * 60_000, first_ts + 5 * 60_000)
    second_ts = rng.integers(second_lo, REFUND_END)
    first_amt = _bounded_part(rng, paid[two])
    second_amt = paid[two] - first_amt

    ts = np.concatenate([full_ts, part_ts, first_ts, second_ts])
    orig = np.concatenate([full, part, two, two])
    amount = np.concatenate([paid[full], part_amt, first_amt, second_amt])
    order = np.argsort(ts, kind="stable")
    ts, orig, amount = ts[order], orig[order], amount[order]
    id_num = ID_BASE + np.arange(len(ts), dtype=np.int64) * ID_STRIDE + rng.integers(0, ID_STRIDE // 2, len(ts))
    return _Refunds(ts, orig, amount, id_num)


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _money_of(e: pl.Expr) -> pl.Expr:
    """Integer cents -> "12.30" (exact; "-" prefix for negatives)."""
    a = e.abs()
    s = (a // 100).cast(pl.String) + "." + (a % 100).cast(pl.String).str.zfill(2)
    return pl.when(e < 0).then(pl.lit("-") + s).otherwise(s)


def _money_expr(col: str) -> pl.Expr:
    return _money_of(pl.col(col))


class _Table:
    """Payments (rows 0..P-1) then refunds (rows P..P+R-1), rendered to strings on demand."""

    def __init__(self, pop: _Population, pay: _Payments, ref: _Refunds, changes: list[_Change]):
        self.pop, self.pay, self.ref = pop, pay, ref
        self.n_pay = len(pay.ts)
        self.n = self.n_pay + len(ref.ts)
        ro = ref.orig
        self.ts = np.concatenate([pay.ts, ref.ts])
        self.is_refund = np.concatenate([np.zeros(self.n_pay, bool), np.ones(len(ref.ts), bool)])
        self.id_num = np.concatenate([pay.id_num, ref.id_num])
        self.user = np.concatenate([pay.user, pay.user[ro]])
        self.payee = np.concatenate([pay.payee, pay.payee[ro]])
        self.scene = np.concatenate([pay.scene, pay.scene[ro]])
        self.amount = np.concatenate([pay.amount, ref.amount])
        self.discount = np.concatenate([pay.discount, np.zeros(len(ro), np.int64)])
        self.campaign = np.concatenate([pay.campaign_logged, np.full(len(ro), -1, np.int8)])
        self.version = np.concatenate([pay.version_logged, np.full(len(ro), -1, np.int8)])
        self.orig_id = np.concatenate([np.full(self.n_pay, -1, np.int64), pay.id_num[ro]])
        self.scene_pool = pl.Series(SCENES)
        self.campaign_pool = pl.Series([*CAMPAIGNS, None], dtype=pl.String)
        self.version_pool = pl.Series([*(c.version for c in changes), None], dtype=pl.String)

    def frame(self, ix: np.ndarray) -> pl.DataFrame:
        camp = self.campaign[ix].astype(np.int64)
        ver = self.version[ix].astype(np.int64)
        raw = pl.DataFrame(
            {
                "r": self.is_refund[ix],
                "id": self.id_num[ix],
                "ms": self.ts[ix] + TZ_OFFSET_MS,
                "user_id": self.pop.users.gather(self.user[ix]),
                "merchant_id": self.pop.payees.gather(self.payee[ix]),
                "scene": self.scene_pool.gather(self.scene[ix].astype(np.int64)),
                "a": self.amount[ix],
                "d": self.discount[ix],
                "campaign_id": self.campaign_pool.gather(np.where(camp < 0, len(CAMPAIGNS), camp)),
                "config_version": self.version_pool.gather(np.where(ver < 0, len(self.version_pool) - 1, ver)),
                "o": self.orig_id[ix],
            }
        )
        r = pl.col("r")
        return raw.select(
            txn_id=pl.when(r).then(pl.lit("R")).otherwise(pl.lit("T")) + pl.col("id").cast(pl.String),
            ts=pl.col("ms").cast(pl.Datetime("ms")).dt.strftime("%Y-%m-%dT%H:%M:%S%.3f") + TZ_SUFFIX,
            user_id=pl.col("user_id"),
            merchant_id=pl.col("merchant_id"),
            scene=pl.col("scene"),
            amount=_money_expr("a"),
            discount=_money_expr("d"),
            paid=pl.when(r).then(pl.lit(None, pl.String)).otherwise(_money_of(pl.col("a") - pl.col("d"))),
            campaign_id=pl.col("campaign_id"),
            config_version=pl.col("config_version"),
            type=pl.when(r).then(pl.lit("refund")).otherwise(pl.lit("payment")),
            original_txn_id=pl.when(r).then(pl.lit("T") + pl.col("o").cast(pl.String)).otherwise(
                pl.lit(None, pl.String)
            ),
        )

    def row(self, i: int) -> dict[str, str | None]:
        return self.frame(np.array([i], dtype=np.int64)).row(0, named=True)


def _csv_line(row: dict[str, str | None], extra: list[str] | None = None) -> str:
    values = ["" if row[c] is None else str(row[c]) for c in TRANSACTION_COLUMNS]
    return ",".join(values + (extra or []))


def _json_line(row: dict[str, str | None]) -> str:
    return json.dumps({c: row[c] for c in TRANSACTION_COLUMNS}, ensure_ascii=False, separators=(",", ":"))


def _write_rows(
    path: Path, fmt: str, table: _Table, order: np.ndarray, specials: list[tuple[int, str]]
) -> None:
    """Write table rows `order` (csv or ndjson) with pre-rendered `specials` inserted before positions."""
    specials = sorted(((int(min(max(p, 0), len(order))), s) for p, s in specials), key=lambda x: x[0])
    with open(path, "wb") as fh:
        if fmt == "csv":
            fh.write((",".join(TRANSACTION_COLUMNS) + "\n").encode())
        start = 0
        for pos, line in [*specials, (len(order), None)]:
            seg = order[start:pos]
            for c in range(0, len(seg), RENDER_CHUNK):
                frame = table.frame(seg[c : c + RENDER_CHUNK])
                if fmt == "csv":
                    frame.write_csv(fh, include_header=False)
                else:
                    frame.write_ndjson(fh)
            if line is not None:
                fh.write(line.encode("utf-8") + b"\n")
            start = pos


# --------------------------------------------------------------------------------------------
# Layout: which rows go where, duplicates, conflicts and injected bad rows
# --------------------------------------------------------------------------------------------

N_CSV_EXACT_DUPS = 30
N_CSV_CONFLICTS = 2
N_REPLAY_COPIES = 20
N_REPLAY_REFUND_COPIES = 2

CSV_REJECTS = {
    "malformed_row": 1,
    "missing_field": 2,
    "bad_timestamp": 1,
    "bad_money": 2,
    "negative_amount": 1,
    "discount_out_of_range": 1,
    "paid_mismatch": 1,
    "bad_type": 1,
    "refund_without_original": 1,
    "conflicting_duplicate": 2 * N_CSV_CONFLICTS,
}
REPLAY_REJECTS = {"malformed_row": 1, "conflicting_duplicate": 1}


def _take(rng: np.random.Generator, candidates: np.ndarray, k: int, what: str) -> np.ndarray:
    if len(candidates) < k:
        raise ValueError(f"not enough candidate rows for {what}; use more payments")
    return np.sort(rng.choice(candidates, k, replace=False))


def _insert_near_ts(order_ts: np.ndarray, ts: int) -> int:
    return int(np.searchsorted(order_ts, ts))


@dataclass
class _Layout:
    csv_order: np.ndarray
    csv_specials: list[tuple[int, str]]
    replay_order: np.ndarray
    replay_specials: list[tuple[int, str]]
    conflicted_payments: np.ndarray  # payment indices rejected (both rows) in the CSV
    csv_exact_dups: int
    replay_copies: int


def _layout(rng: np.random.Generator, table: _Table) -> _Layout:
    pay, ref = table.pay, table.ref
    n_pay = table.n_pay
    referenced = np.zeros(n_pay, bool)
    referenced[ref.orig] = True
    affected = pay.expected != pay.discount
    in_csv = np.concatenate([pay.ts < CSV_PAYMENT_CUTOFF, ref.ts < REPLAY_REFUND_CUTOFF])
    csv_pay = in_csv[:n_pay]
    plain = csv_pay & ~referenced  # CSV payments nothing else references
    used = np.zeros(n_pay, bool)

    dups = _take(rng, np.flatnonzero(plain), N_CSV_EXACT_DUPS, "exact duplicates")
    used[dups] = True
    quiet = plain & ~affected & ~pay.exploit & (pay.campaign_logged < 0)
    conflicts = _take(rng, np.flatnonzero(quiet & ~used), N_CSV_CONFLICTS, "conflicting duplicates")
    used[conflicts] = True
    copies_pay = _take(rng, np.flatnonzero(plain & ~used), N_REPLAY_COPIES - N_REPLAY_REFUND_COPIES, "copies")
    used[copies_pay] = True
    csv_refunds = n_pay + np.flatnonzero(in_csv[n_pay:])
    copies_ref = _take(rng, csv_refunds, N_REPLAY_REFUND_COPIES, "refund copies")
    cross = _take(rng, np.flatnonzero(quiet & ~used), 1, "the cross-file conflict")
    used[cross] = True
    nyish = np.isin(pay.scene, [SCENE_CODE[s] for s in ("shopping", "food_delivery", "groceries")])
    calm = (pay.ts < BAD_AT - 60_000) | (pay.ts > FIX_AT + 120_000)
    templates = _take(rng, np.flatnonzero(plain & ~used & nyish & calm), 11, "bad-row templates")
    used[templates] = True
    templates = rng.permutation(templates)

    # --- transactions.csv: roughly ts-ordered (arrival jitter up to 1.5 s), dups a few rows on
    rows = np.flatnonzero(in_csv)
    key = table.ts[rows] + rng.integers(0, 1_500, len(rows))
    perm = np.argsort(key, kind="stable")
    order = rows[perm]
    key = key[perm]
    dup_pos = np.flatnonzero(np.isin(order, dups))
    ins = np.minimum(dup_pos + 1 + rng.integers(0, 40, len(dup_pos)), len(order))
    order = np.insert(order, ins, order[dup_pos])
    order_ts = table.ts[order]

    specials: list[tuple[int, str]] = []
    for p in conflicts:
        row = table.row(int(p))
        pos = int(np.flatnonzero(order == p)[0])
        bump = 1_000 * int(rng.integers(1, 10))  # 10.00 .. 90.00 yuan more
        amt = Decimal(row["amount"]) + Decimal(bump) / 100
        row = {**row, "amount": f"{amt:.2f}", "paid": f"{amt - Decimal(row['discount']):.2f}"}
        specials.append((pos + int(rng.integers(50, 500)), _csv_line(row)))

    def gap_id(payment_index: int, k: int) -> int:
        return ID_BASE + payment_index * ID_STRIDE + ID_STRIDE // 2 + k

    bad_rows: list[tuple[int, str]] = []
    for k, (t, reason) in enumerate(
        zip(
            templates,
            [
                "malformed_row", "missing_user", "missing_amount", "bad_timestamp", "bad_money_dots",
                "bad_money_decimals", "negative_amount", "discount_out_of_range", "paid_mismatch",
                "bad_type", "refund_without_original",
            ],
            strict=True,
        )
    ):
        t = int(t)
        row = dict(table.row(t))
        ts_ms = int(pay.ts[t]) + int(rng.integers(1, 900))
        row["txn_id"] = "T" + str(gap_id(t, k % (ID_STRIDE // 2)))
        row["ts"] = _iso_local(ts_ms)
        extra: list[str] | None = None
        no_campaign = {"discount": "0.00", "paid": None, "campaign_id": None, "config_version": None}
        if reason == "malformed_row":
            extra = ["1"]
        elif reason == "missing_user":
            row["user_id"] = None
        elif reason == "missing_amount":
            row.update(amount=None, paid=None)
        elif reason == "bad_timestamp":
            row["ts"] = "2025-01-16 25:61:00+08:00"
        elif reason == "bad_money_dots":
            row.update(no_campaign, amount="12.3.4")
        elif reason == "bad_money_decimals":
            row.update(no_campaign, amount="10.005")
        elif reason == "negative_amount":
            row.update(no_campaign, amount="-5.00")
        elif reason == "discount_out_of_range":
            row.update(amount="10.00", discount="12.00", paid=None, campaign_id=CAMPAIGNS[NY], config_version=None)
        elif reason == "paid_mismatch":
            row.update(amount="100.00", discount="0.50", paid="100.00", campaign_id=CAMPAIGNS[NY], config_version=None)
        elif reason == "bad_type":
            row.update(no_campaign, type="chargeback")
        elif reason == "refund_without_original":
            ts_ms = int(rng.integers(REFUND_START, REPLAY_REFUND_CUTOFF))
            row.update(no_campaign, amount="20.00", type="refund", original_txn_id=None,
                       txn_id="R" + str(gap_id(t, k % (ID_STRIDE // 2))), ts=_iso_local(ts_ms))
        bad_rows.append((_insert_near_ts(order_ts, ts_ms), _csv_line(row, extra)))
    specials.extend(bad_rows)

    # --- transactions_replay.jsonl: the late batch + re-delivered copies + a conflict + garbage
    new_rows = np.flatnonzero(~in_csv)
    r_rows = np.concatenate([new_rows, copies_pay, copies_ref])
    r_key = table.ts[r_rows] + rng.integers(0, 1_500, len(r_rows))
    r_perm = np.argsort(r_key, kind="stable")
    r_order = r_rows[r_perm]
    r_ts = table.ts[r_order]
    r_specials: list[tuple[int, str]] = []
    c = int(cross[0])
    row = table.row(c)
    amt = Decimal(row["amount"]) + Decimal(int(rng.integers(1, 50))) / 100
    row = {**row, "amount": f"{amt:.2f}", "paid": f"{amt - Decimal(row['discount']):.2f}"}
    r_specials.append((_insert_near_ts(r_ts, int(pay.ts[c])), _json_line(row)))
    late = np.flatnonzero(~csv_pay)
    if len(late) == 0:
        raise ValueError("no late payments for the replay batch; use more payments")
    g = int(late[len(late) // 2])
    row = dict(table.row(g))
    row["txn_id"] = "T" + str(gap_id(g, 3))
    line = _json_line(row)
    r_specials.append((_insert_near_ts(r_ts, int(pay.ts[g])), line[: len(line) * 2 // 3]))

    return _Layout(order, specials, r_order, r_specials, conflicts, len(dups), len(copies_pay) + len(copies_ref))


# --------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------

# Scam messages the customer service hears about: look-alike domains (reserved .example names)
# and the quoted phrases the scammers use. A report names a domain when the message had one.
SCAM_DOMAINS = ("discount-reversal.example", "pay-refund-cs.example", "yhcx-kefu.example")
_SCAM_DETAILS = (
    ("用户反馈收到“优惠撤销”诈骗短信，要求点击链接 {domain} 退还优惠金额", True),
    ("Customer received an SMS claiming the 'discount reversal' must be paid back via {domain}", True),
    ("用户称接到自称客服的电话，要求转账退回“多发的优惠”", False),
    ("SMS with a look-alike domain {domain} asking to 'confirm the discount reversal' within 2 hours", True),
    ("用户收到短信：您的“优惠撤销”将在今晚24点前生效，请登录 {domain} 处理", True),
    ("Elderly customer nearly transferred 3,000 yuan after a fake 'discount reversal' call", False),
)
N_SCAM_AFFECTED = 12  # affected users who report (two of them twice), when the sample has that many
N_SCAM_UNAFFECTED = 3  # users who report but were not affected (scammers send to everyone)


@dataclass(frozen=True)
class _ScamReport:
    ts: str  # naive local time, as events.csv has it
    ms: int  # epoch ms (UTC)
    user_id: str | None  # the events file's user_id column (None: an anonymous call)
    linked_user: str | None  # the affected user the report is about (by user_id, or named in the text)
    detail: str
    domain: str | None
    ref: str


def _scam_reports(rng: np.random.Generator, table: _Table, layout: _Layout) -> list[_ScamReport]:
    """Scam-message reports: affected users (two report twice), a few unaffected users, an
    anonymous call and one that names the caller's account only in the text."""
    pay, pop = table.pay, table.pop
    loaded = np.ones(table.n_pay, bool)
    loaded[layout.conflicted_payments] = False
    affected = loaded & (pay.discount != pay.expected)
    affected_users = np.unique(pay.user[affected])
    exploiters = set(pay.exploiters.tolist())
    calm = np.array([u for u in affected_users.tolist() if u not in exploiters], dtype=np.int64)
    k = min(N_SCAM_AFFECTED, max(len(calm) - 1, 0))
    chosen = rng.choice(calm, k + 1, replace=False) if k else np.array([], np.int64)
    reporters, by_text = chosen[:k].tolist(), (chosen[k:].tolist() or [None])[0]
    others = np.setdiff1d(np.unique(pay.user[loaded]), affected_users)
    unaffected = rng.choice(others, min(N_SCAM_UNAFFECTED, len(others)), replace=False).tolist()
    # (user index for the user_id column or None, linked affected user index or None)
    who: list[tuple[int | None, int | None]] = [(u, u) for u in reporters] + [(u, u) for u in reporters[:2]]
    who += [(u, None) for u in unaffected] + [(None, None)]
    if by_text is not None:
        who.append((None, by_text))
    order = rng.permutation(len(who))
    # the evening after the incident (most), and the next morning
    start, end = _local_ms(18, 40), _local_ms(11, 0, day=17)
    times = np.sort(np.where(rng.random(len(who)) < 0.75, rng.integers(start, _local_ms(23, 30), len(who)),
                             rng.integers(_local_ms(23, 30), end, len(who))))
    times = (times // 1000) * 1000  # whole seconds: events.csv has no fractions
    reports = []
    for n, (i, ms) in enumerate(zip(order.tolist(), times.tolist(), strict=True)):
        column_user, linked = who[i]
        template, has_domain = _SCAM_DETAILS[n % len(_SCAM_DETAILS)]  # every kind of message appears
        domain = SCAM_DOMAINS[int(rng.integers(0, len(SCAM_DOMAINS)))] if has_domain else None
        detail = template.format(domain=domain)
        if column_user is None and linked is not None:
            detail += f"（来电用户自报账号 {pop.users[linked]}）"
        local = _iso_local(ms)
        reports.append(_ScamReport(
            ts=local[:19].replace("T", " "), ms=ms,
            user_id=None if column_user is None else str(pop.users[column_user]),
            linked_user=None if linked is None else str(pop.users[linked]),
            detail=detail, domain=domain, ref=f"CS-{n + 1:05d}"))
    return reports


def _events(scam: list[_ScamReport]) -> list[tuple[str, ...]]:
    def at(h: int, m: int, s: int, day: int = 16) -> str:
        return f"2025-01-{day:02d} {h:02d}:{m:02d}:{s:02d}"

    # (ts, source, kind, title, detail, severity, user_id, ref)
    events = [
        (at(14, 33, 2), "config_console", "change", "CMP-TRAVEL-5 cap raised to 20.00",
         "CHG-20250116-0039 by liu.yang, approved by mkt.lead.chen (MKT-2270)", "info", "", "CHG-20250116-0039"),
        (at(14, 40, 0), "config_console", "change", "CMP-NY-INSTANT config updated",
         f"{BAD_CHANGE_ID} by zhang.wei, no approver recorded (MKT-2291)", "info", "", BAD_CHANGE_ID),
        (at(14, 41, 55), "monitoring", "alert", "Transfer volume above forecast",
         "transfer TPS 2.1x forecast over 5 min", "warning", "", ""),
        (at(14, 42, 50), "monitoring", "alert", "Discount rate anomaly on CMP-NY-INSTANT",
         "discount/amount ratio 19.6% over 2 min (baseline 0.7%); transfers and credit-card repayments discounted",
         "critical", "", ""),
        (at(14, 43, 40), "oncall", "ack", "On-call acknowledged discount anomaly",
         "oncall.li acknowledged; paging sre.lead.wang", "info", "", ""),
        (at(14, 45, 0), "oncall", "mitigation", "Rolled back CMP-NY-INSTANT to previous config",
         f"{FIX_CHANGE_ID}: rollback to v2 config, approved by sre.lead.wang (INC-3317)", "warning", "", "INC-3317"),
        (at(14, 46, 40), "monitoring", "recovery", "Discount rate back to baseline",
         "discount/amount ratio 0.8% over 1 min", "info", "", ""),
        (at(15, 10, 0), "incident", "incident", "INC-3317 opened: erroneous 20% discount on all scenes",
         "SEV-2; owner sre.lead.wang; finance and risk informed", "critical", "", "INC-3317"),
        (at(16, 20, 0), "incident", "resolved", "INC-3317 resolved: config restored, impact quantified",
         "resolved by sre.lead.wang; customer follow-up continues", "info", "", "INC-3317"),
        (at(19, 2, 0), "merchant_ops", "note", "Merchant-initiated refunds begin",
         "merchants refunding orders placed during the incident", "info", "", ""),
        (at(21, 45, 0), "security", "note", "Phishing domain reported for takedown",
         f"look-alike domain {SCAM_DOMAINS[0]} used in 'discount reversal' SMS reported to registrar", "warning",
         "", ""),
        (at(9, 30, 0, day=17), "pr", "statement", "Official statement on the 16 January discount incident",
         "我们不会以任何形式要求用户退还优惠。We will never ask customers to return a discount by SMS or phone.",
         "info", "", ""),
    ]
    for r in scam:
        events.append((r.ts, "customer_service", "scam_report", "Scam message about a 'discount reversal'",
                       r.detail, "warning", r.user_id or "", r.ref))
    return sorted(events)


def _write_events(path: Path, events: list[tuple[str, ...]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(EVENT_COLUMNS)
    w.writerows(events)
    path.write_bytes(buf.getvalue().encode("utf-8"))


def _scam_truth(scam: list[_ScamReport]) -> dict[str, Any]:
    """What the scam-report follow-up must find (every report is after the bad change)."""
    linked = [r for r in scam if r.linked_user is not None]
    domains: dict[str, int] = {}
    for r in scam:
        if r.domain:
            domains[r.domain] = domains.get(r.domain, 0) + 1
    return {
        "scam_reports": len(scam),
        "scam_reports_linked": len(linked),
        "scam_reporters_affected": len({r.linked_user for r in linked}),
        "scam_reporters_affected_ids": sorted({r.linked_user for r in linked}),
        "scam_reports_by_text": sum(1 for r in linked if r.user_id is None),
        "first_scam_report_at": iso_utc(min(r.ms for r in scam)) if scam else None,
        "scam_domains": dict(sorted(domains.items())),
    }


# --------------------------------------------------------------------------------------------
# Truth
# --------------------------------------------------------------------------------------------


def _utc_expr(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Datetime("ms")).dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")


def _truth(out: Path, table: _Table, layout: _Layout, changes: list[_Change]) -> dict[str, Any]:
    pay, ref, pop = table.pay, table.ref, table.pop
    n_pay = table.n_pay
    loaded = np.ones(n_pay, bool)
    loaded[layout.conflicted_payments] = False
    excess = pay.discount - pay.expected
    affected = loaded & (excess != 0)
    refunded = np.zeros(n_pay, np.int64)
    np.add.at(refunded, ref.orig, ref.amount)
    paid = pay.amount - pay.discount
    if (refunded > paid).any():
        raise AssertionError("a payment refunded more than it paid")
    fully = refunded == paid
    idx = np.flatnonzero(affected)  # already in id order (ids increase with index)

    df = pl.DataFrame(
        {
            "id": pay.id_num[idx],
            "user_id": pop.users.gather(pay.user[idx]),
            "merchant_id": pop.payees.gather(pay.payee[idx]),
            "scene": pl.Series(SCENES).gather(pay.scene[idx].astype(np.int64)),
            "ms": pay.ts[idx],
            "a": pay.amount[idx],
            "d": pay.discount[idx],
            "e": pay.expected[idx],
            "x": excess[idx],
            "fully_refunded": fully[idx],
        }
    )
    txns = df.select(
        txn_id=pl.lit("T") + pl.col("id").cast(pl.String),
        user_id="user_id",
        merchant_id="merchant_id",
        scene="scene",
        ts=_utc_expr("ms"),
        amount=_money_expr("a"),
        discount=_money_expr("d"),
        expected=_money_expr("e"),
        excess=_money_expr("x"),
        fully_refunded="fully_refunded",
    ).sort("txn_id")
    truth_dir = out / "truth"
    txns.write_csv(truth_dir / "affected_transactions.csv")

    exploiter_ids = sorted(pop.users.gather(pay.exploiters).to_list())
    users = (
        df.group_by("user_id")
        .agg(
            affected_txns=pl.len(),
            x=pl.col("x").sum(),
            nx=pl.col("x").filter(~pl.col("fully_refunded")).sum(),
            first=pl.col("ms").min(),
            last=pl.col("ms").max(),
        )
        .sort("user_id")
        .select(
            "user_id",
            "affected_txns",
            excess_total=_money_expr("x"),
            net_excess_total=_money_expr("nx"),
            first_affected_at=_utc_expr("first"),
            last_affected_at=_utc_expr("last"),
            exploiter=pl.col("user_id").is_in(exploiter_ids),
        )
    )
    users.write_csv(truth_dir / "affected_users.csv")

    excess_total = int(excess[idx].sum())
    net_total = int(excess[idx][~fully[idx]].sum())
    bad = next(c for c in changes if c.change_id == BAD_CHANGE_ID)
    fix = next(c for c in changes if c.change_id == FIX_CHANGE_ID)
    summary = {
        "campaign_id": CAMPAIGNS[bad.campaign],
        "bad_change_id": bad.change_id,
        "fix_change_id": fix.change_id,
        "bad_version": bad.version,
        "fix_version": fix.version,
        "config_window_start": iso_utc(bad.ts_ms),
        "config_window_end": iso_utc(fix.ts_ms),
        "first_affected_at": iso_utc(int(pay.ts[idx].min())),
        "last_affected_at": iso_utc(int(pay.ts[idx].max())),
        "affected_txns": len(idx),
        "affected_users": users.height,
        "affected_merchants": int(df["merchant_id"].n_unique()),
        "excess_total": _money(excess_total),
        "net_excess_total": _money(net_total),
        "fully_refunded_affected_txns": int(fully[idx].sum()),
        "exploiters": exploiter_ids,
    }
    return summary


def _row_accounting(table: _Table, layout: _Layout, n_changes: int, n_events: int) -> dict[str, Any]:
    def entry(read: int, dup: int, rejects: dict[str, int]) -> dict[str, Any]:
        rejected = sum(rejects.values())
        return {
            "rows_read": read,
            "rows_loaded": read - dup - rejected,
            "rows_duplicate": dup,
            "rows_rejected": rejected,
            "rejects_by_reason": dict(sorted(rejects.items())),
        }

    csv_e = entry(len(layout.csv_order) + len(layout.csv_specials), layout.csv_exact_dups, CSV_REJECTS)
    rep_e = entry(len(layout.replay_order) + len(layout.replay_specials), layout.replay_copies, REPLAY_REJECTS)
    files = {
        "transactions.csv": csv_e,
        "transactions_replay.jsonl": rep_e,
        "config_changes.jsonl": entry(n_changes, 0, {}),
        "events.csv": entry(n_events, 0, {}),
    }
    keys = ("rows_read", "rows_loaded", "rows_duplicate", "rows_rejected")
    txn = {k: csv_e[k] + rep_e[k] for k in keys}
    if txn["rows_loaded"] != table.n - len(layout.conflicted_payments):
        raise AssertionError("row accounting does not match the rows generated")
    return {"transactions": txn, "files": files}


_README = """# Sample incident: CMP-NY-INSTANT, 2025-01-16 (Asia/Shanghai), seed {seed}, {payments} payments
- transactions.csv: payments 13:00-16:52 local and refunds 19:00-21:30 (ts with +08:00 offset); includes malformed, duplicated and conflicting rows.
- transactions_replay.jsonl: a re-delivered batch (late payments 16:52-17:00, refunds after 21:30, exact copies of CSV rows, one conflicting row, one broken line).
- config_changes.jsonl: every config change of the three campaigns (ts in UTC), config as a nested JSON object.
- events.csv: alerts, on-call, rollback, incident declared and resolved, scam-message reports (user_id of the reporter, ref of the ticket), the statement; ts is NAIVE local time (needs --tz Asia/Shanghai).
- truth/summary.json: the expected answers (window, affected counts, excess gross and net, exploiters, scam reports linked to affected users, row accounting per file).
- truth/affected_transactions.csv, truth/affected_users.csv: the expected affected payments and users (times in UTC).
Load it:
  analyzer ingest --db incident.duckdb --transactions transactions.csv transactions_replay.jsonl --config-changes config_changes.jsonl --events events.csv --tz Asia/Shanghai
Money is exact to the cent; the bad change is {bad} and the fix is {fix}.
"""


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def generate(out_dir: Path, seed: int = 7, payments: int = 100_000) -> SampleResult:
    """Write the sample incident and its truth under `out_dir`; deterministic for (seed, payments)."""
    if payments < MIN_PAYMENTS:
        raise ValueError(f"payments must be at least {MIN_PAYMENTS}")
    out = Path(out_dir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence([int(seed), 20250116]).spawn(5)]

    changes = config_changes()
    pop = _population(streams[0], payments)
    pay = _payments(streams[1], payments, pop, changes)
    ref = _refunds(streams[2], pay)
    table = _Table(pop, pay, ref, changes)
    layout = _layout(streams[3], table)
    scam = _scam_reports(streams[4], table, layout)
    events = _events(scam)

    paths = {
        "transactions.csv": out / "transactions.csv",
        "transactions_replay.jsonl": out / "transactions_replay.jsonl",
        "config_changes.jsonl": out / "config_changes.jsonl",
        "events.csv": out / "events.csv",
    }
    _write_rows(paths["transactions.csv"], "csv", table, layout.csv_order, layout.csv_specials)
    _write_rows(paths["transactions_replay.jsonl"], "ndjson", table, layout.replay_order, layout.replay_specials)
    paths["config_changes.jsonl"].write_bytes(
        "".join(c.to_json_line() + "\n" for c in changes).encode("utf-8")
    )
    _write_events(paths["events.csv"], events)

    summary = _truth(out, table, layout, changes)
    summary.update(_scam_truth(scam))
    summary["row_accounting"] = _row_accounting(table, layout, len(changes), len(events))
    summary.update(tz=TZ_NAME, seed=int(seed), payments=int(payments))
    (out / "truth" / "summary.json").write_bytes(
        (json.dumps(summary, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    )
    readme = out / "README.md"
    readme.write_bytes(
        _README.format(seed=seed, payments=payments, bad=BAD_CHANGE_ID, fix=FIX_CHANGE_ID).encode("utf-8")
    )
    acct = summary["row_accounting"]["transactions"]
    return SampleResult(
        out_dir=out,
        transactions_csv=paths["transactions.csv"],
        transactions_replay=paths["transactions_replay.jsonl"],
        config_changes=paths["config_changes.jsonl"],
        events=paths["events.csv"],
        readme=readme,
        truth_summary=out / "truth" / "summary.json",
        truth_affected_transactions=out / "truth" / "affected_transactions.csv",
        truth_affected_users=out / "truth" / "affected_users.csv",
        seed=int(seed),
        payments=table.n_pay,
        refunds=len(ref.ts),
        transaction_rows_read=acct["rows_read"],
        transaction_rows_loaded=acct["rows_loaded"],
        affected_txns=summary["affected_txns"],
        affected_users=summary["affected_users"],
        affected_merchants=summary["affected_merchants"],
        exploiters=len(summary["exploiters"]),
        excess_total=summary["excess_total"],
        net_excess_total=summary["net_excess_total"],
    )
