"""What a user would write instead of the analyzer: the incident's per-user excess in pandas and in polars.

Called by the benchmark's worker (cases `pandas` and `polars`) and by tests/test_bench.py. Each
pipeline reads the same Parquet file of transactions and the config-change log, and implements
the model of DESIGN.md the way a careful analyst would in a notebook, in integer cents:

- the versions of the incident campaign from the config log (a few rows, parsed exactly);
- the version live at each payment (`merge_asof` / `join_asof` by campaign), the version live one
  lag tolerance earlier, and the logged version: the first of logged, live, earlier whose config
  reproduces the discount explains the payment;
- the intended config: inside the bad period the one from just before the bad change; outside,
  the explaining version when it is a good one, else the live one; excess = discount - apply(it);
- refunds: a payment whose refunds add up to what was paid leaves the net excess;
- per-user excess and the totals.

Like the analyst, they read only the campaign's payments and the refunds, drop what is visibly
broken (missing values, a discount above the amount, repeated txn_ids) and take the bad and the
fix change as known; the analyzer validates, quarantines and infers them. They share no code
with the SQL pipeline, so equal totals to the cent are a check of both. Money is integer cents
from the Parquet decimals on (x 100, cast exactly); it never goes through a float.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

COLUMNS = ["txn_id", "ts", "user_id", "scene", "amount", "discount", "campaign_id", "config_version", "type",
           "original_txn_id"]


@dataclass(frozen=True)
class Answer:
    """The totals every implementation must agree on, plus a digest of the per-user excess."""

    affected_txns: int
    affected_users: int
    excess_cents: int
    net_excess_cents: int
    users_digest: str  # sha256 over sorted "user_id excess_cents net_cents" lines

    def as_dict(self) -> dict:
        return {"affected_txns": self.affected_txns, "affected_users": self.affected_users,
                "excess_total": cents_text(self.excess_cents), "net_excess_total": cents_text(self.net_excess_cents),
                "users_digest": self.users_digest}


def cents_text(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{frac:02d}"


def users_digest(rows) -> str:
    """rows: iterable of (user_id, excess_cents, net_cents), any order."""
    lines = sorted(f"{u}\t{int(x)}\t{int(n)}" for u, x, n in rows)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


# --- the config versions (a handful of rows: plain Python, exact) ----------------------------
@dataclass(frozen=True)
class Version:
    seq: int
    change_id: str
    version: str
    valid_from: datetime
    dtype: str
    value_bp: int  # percent: value x 10000; fixed: unused
    fixed_c: int  # fixed: the value in cents
    cap_c: int | None
    min_c: int | None
    scenes: tuple[str, ...]
    enabled: bool


def _dec(v) -> Decimal | None:
    return None if v is None or v == "" else Decimal(str(v))


def _cents(v: Decimal | None) -> int | None:
    return None if v is None else int((v * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def read_versions(config_changes: Path, campaign_id: str) -> list[Version]:
    changes = []
    for line in Path(config_changes).read_text(encoding="utf-8").splitlines():
        if line.strip():
            doc = json.loads(line, parse_float=Decimal)
            if doc.get("campaign_id") == campaign_id:
                changes.append(doc)
    changes.sort(key=lambda d: (datetime.fromisoformat(d["ts"].replace("Z", "+00:00")), d["change_id"]))
    out = []
    for seq, d in enumerate(changes, 1):
        cfg = d["config"]
        value = _dec(cfg.get("discount_value")) or Decimal(0)
        scenes = cfg.get("scenes") or ["*"]
        out.append(Version(seq=seq, change_id=d["change_id"], version=d["version"],
                           valid_from=datetime.fromisoformat(d["ts"].replace("Z", "+00:00")),
                           dtype=str(cfg.get("discount_type") or "none").lower(),
                           value_bp=int(value * 10000), fixed_c=_cents(value),
                           cap_c=_cents(_dec(cfg.get("max_discount"))), min_c=_cents(_dec(cfg.get("min_amount"))),
                           scenes=tuple([scenes] if isinstance(scenes, str) else scenes),
                           enabled=str(cfg.get("enabled", True)).lower() in ("true", "1")))
    return out


def _period(versions: list[Version], bad_change_id: str, fix_change_id: str | None):
    by_id = {v.change_id: v for v in versions}
    bad = by_id[bad_change_id]
    fix = by_id[fix_change_id] if fix_change_id else None
    return bad, fix


# --- pandas ----------------------------------------------------------------------------------
def pandas_pipeline(transactions: Path, config_changes: Path, *, campaign_id: str, bad_change_id: str,
                    fix_change_id: str | None, tolerance_ms: int = 60_000) -> Answer:
    import numpy as np
    import pandas as pd

    versions = read_versions(config_changes, campaign_id)
    bad, fix = _period(versions, bad_change_id, fix_change_id)
    vdf = pd.DataFrame({"campaign_id": pd.Series([campaign_id] * len(versions), dtype="str"),
                        "seq": [v.seq for v in versions],
                        "valid_from": pd.to_datetime([v.valid_from for v in versions], utc=True).astype("datetime64[us, UTC]")})

    # Read only the campaign's payments and the refunds (filters pushed into the Parquet reader),
    # as Arrow-backed columns: at tens of millions of rows, Python objects would not fit in memory.
    def read(columns: list[str], filters: list[tuple]) -> pd.DataFrame:
        df = pd.read_parquet(transactions, columns=columns, filters=filters, dtype_backend="pyarrow")
        df = df.dropna(subset=[c for c in ("ts", "amount", "discount", "user_id") if c in df.columns])
        df = df.drop_duplicates("txn_id")
        df["amount_c"] = (df["amount"] * 100).astype("int64[pyarrow]").to_numpy()
        if "discount" in df.columns:
            df["discount_c"] = (df["discount"] * 100).astype("int64[pyarrow]").to_numpy()
            df = df[(df["discount_c"] >= 0) & (df["discount_c"] <= df["amount_c"])]
        return df

    pay = read(["txn_id", "ts", "user_id", "scene", "amount", "discount", "campaign_id", "config_version"],
               [("campaign_id", "==", campaign_id), ("type", "==", "payment")])
    # numpy datetimes for merge_asof (straight from the Arrow buffer, not through Python objects)
    pay["ts"] = pd.Series(pay["ts"].to_numpy(dtype="datetime64[us]"), index=pay.index).dt.tz_localize("UTC")
    pay["campaign_id"] = pay["campaign_id"].astype("str")
    pay = pd.merge_asof(pay.sort_values("ts"), vdf.rename(columns={"seq": "live_seq"}), left_on="ts",
                        right_on="valid_from", by="campaign_id", direction="backward").drop(columns="valid_from")
    pay["ts_tol"] = pay["ts"] - pd.Timedelta(milliseconds=tolerance_ms)
    pay = pd.merge_asof(pay, vdf.rename(columns={"seq": "old_seq"}), left_on="ts_tol",  # sorted by ts, so by ts_tol
                        right_on="valid_from", by="campaign_id", direction="backward").drop(columns="valid_from")
    pay["log_seq"] = pay["config_version"].map({v.version: v.seq for v in versions})

    amount = pay["amount_c"].to_numpy()
    eligible = {v.seq: (np.ones(len(pay), bool) if "*" in v.scenes else pay["scene"].isin(list(v.scenes)).to_numpy())
                for v in versions}

    def apply(seqs: np.ndarray) -> np.ndarray:
        """apply(config of version `seq`) per payment, in cents (0 where there is no version)."""
        out = np.zeros(len(pay), dtype=np.int64)
        for v in versions:
            m = seqs == v.seq
            if not m.any() or not v.enabled or v.dtype == "none":
                continue
            a = amount[m]
            ok = eligible[v.seq][m]
            if v.min_c is not None:
                ok &= a >= v.min_c
            if v.dtype == "fixed":
                d = np.full(len(a), v.fixed_c, dtype=np.int64)
            else:
                d = (a * v.value_bp + 500_000) // 1_000_000
                if v.cap_c is not None:
                    d = np.minimum(d, v.cap_c)
            out[m] = np.where(ok, np.minimum(d, a), 0)
        return out

    disc = pay["discount_c"].to_numpy()
    live, old, log = (pay[c].fillna(0).astype("int64").to_numpy() for c in ("live_seq", "old_seq", "log_seq"))
    by_live, by_old, by_log = apply(live), apply(old), apply(log)
    explained = np.where((log > 0) & (by_log == disc), log,
                         np.where((live > 0) & (by_live == disc), live,
                                  np.where((old > 0) & (by_old == disc), old, 0)))
    ts = pay["ts"]
    in_bad = (ts >= pd.Timestamp(bad.valid_from)).to_numpy().copy()
    by_bad = explained >= bad.seq
    if fix is not None:
        in_bad &= (ts < pd.Timestamp(fix.valid_from)).to_numpy()
        by_bad &= explained < fix.seq
    intended = np.where(in_bad, bad.seq - 1, np.where((explained > 0) & ~by_bad, explained, live))
    pay["excess_c"] = disc - apply(intended)
    affected = pay.loc[pay["excess_c"] != 0, ["txn_id", "user_id", "amount_c", "discount_c", "excess_c"]]

    refunds = read(["txn_id", "original_txn_id", "amount"], [("type", "==", "refund")])
    refunded = refunds.groupby("original_txn_id")["amount_c"].sum().rename("refunded_c")
    affected = affected.join(refunded, on="txn_id")
    fully = affected["refunded_c"].fillna(0).to_numpy() >= (affected["amount_c"] - affected["discount_c"]).to_numpy()
    affected = affected.assign(net_c=np.where(fully, 0, affected["excess_c"]))
    per_user = affected.groupby("user_id").agg(excess_c=("excess_c", "sum"), net_c=("net_c", "sum"))
    return Answer(affected_txns=len(affected), affected_users=len(per_user),
                  excess_cents=int(per_user["excess_c"].sum()), net_excess_cents=int(per_user["net_c"].sum()),
                  users_digest=users_digest(zip(per_user.index, per_user["excess_c"], per_user["net_c"], strict=True)))


# --- polars ----------------------------------------------------------------------------------
def polars_pipeline(transactions: Path, config_changes: Path, *, campaign_id: str, bad_change_id: str,
                    fix_change_id: str | None, tolerance_ms: int = 60_000) -> Answer:
    import polars as pl

    versions = read_versions(config_changes, campaign_id)
    bad, fix = _period(versions, bad_change_id, fix_change_id)
    vdf = pl.DataFrame({"campaign_id": [campaign_id] * len(versions), "seq": [v.seq for v in versions],
                        "valid_from": [v.valid_from for v in versions]},
                       schema_overrides={"valid_from": pl.Datetime("us", "UTC")}).sort("valid_from").lazy()

    def apply(seq: str) -> pl.Expr:
        """apply(config of the version numbered in column `seq`), in cents: one branch per version."""
        a = pl.col("amount_c")
        out = pl.lit(0, pl.Int64)
        for v in versions:
            if not v.enabled or v.dtype == "none":
                continue
            ok = pl.lit(True) if "*" in v.scenes else pl.col("scene").is_in(list(v.scenes))
            if v.min_c is not None:
                ok = ok & (a >= v.min_c)
            if v.dtype == "fixed":
                d = pl.lit(v.fixed_c, pl.Int64)
            else:
                d = (a * v.value_bp + 500_000) // 1_000_000
                if v.cap_c is not None:
                    d = pl.min_horizontal(d, pl.lit(v.cap_c, pl.Int64))
            out = pl.when((pl.col(seq) == v.seq) & ok).then(pl.min_horizontal(d, a)).otherwise(out)
        return out

    def clean(lf: pl.LazyFrame) -> pl.LazyFrame:
        return (lf.filter(pl.col("ts").is_not_null() & pl.col("amount").is_not_null())
                .filter(pl.col("txn_id").is_first_distinct())  # unique("txn_id") takes 4x the memory
                .with_columns(amount_c=(pl.col("amount") * 100).cast(pl.Int64)))

    scan = pl.scan_parquet(transactions)
    pay = (clean(scan.filter((pl.col("type") == "payment") & (pl.col("campaign_id") == campaign_id))
                 .select("txn_id", "ts", "user_id", "scene", "amount", "discount", "campaign_id", "config_version")
                 .filter(pl.col("discount").is_not_null() & pl.col("user_id").is_not_null()))
           .with_columns(discount_c=(pl.col("discount") * 100).cast(pl.Int64))
           .filter((pl.col("discount_c") >= 0) & (pl.col("discount_c") <= pl.col("amount_c")))
           .with_columns(ts_tol=pl.col("ts") - pl.duration(milliseconds=tolerance_ms))
           .sort("ts")
           .join_asof(vdf.rename({"seq": "live_seq"}), left_on="ts", right_on="valid_from", by="campaign_id",
                      strategy="backward", check_sortedness=False)
           .join_asof(vdf.rename({"seq": "old_seq"}), left_on="ts_tol", right_on="valid_from", by="campaign_id",
                      strategy="backward", check_sortedness=False)
           .with_columns(log_seq=pl.col("config_version").replace_strict(
               {v.version: v.seq for v in versions}, default=None, return_dtype=pl.Int64)))
    disc = pl.col("discount_c")
    explained = (pl.when(pl.col("log_seq").is_not_null() & (apply("log_seq") == disc)).then(pl.col("log_seq"))
                 .when(pl.col("live_seq").is_not_null() & (apply("live_seq") == disc)).then(pl.col("live_seq"))
                 .when(pl.col("old_seq").is_not_null() & (apply("old_seq") == disc)).then(pl.col("old_seq")))
    in_bad = pl.col("ts") >= bad.valid_from
    by_bad = pl.col("explained") >= bad.seq
    if fix is not None:
        in_bad = in_bad & (pl.col("ts") < fix.valid_from)
        by_bad = by_bad & (pl.col("explained") < fix.seq)
    intended = (pl.when(in_bad).then(pl.lit(bad.seq - 1, pl.Int64))
                .when(pl.col("explained").is_not_null() & ~by_bad).then(pl.col("explained"))
                .otherwise(pl.col("live_seq")))
    affected = (pay.with_columns(explained=explained).with_columns(intended=intended)
                .with_columns(excess_c=disc - apply("intended"))
                .filter(pl.col("excess_c") != 0)
                .select("txn_id", "user_id", "amount_c", "discount_c", "excess_c"))
    refunds = (clean(scan.filter(pl.col("type") == "refund").select("txn_id", "ts", "original_txn_id", "amount"))
               .group_by("original_txn_id").agg(refunded_c=pl.col("amount_c").sum()))
    per_user = (affected.join(refunds, left_on="txn_id", right_on="original_txn_id", how="left")
                .with_columns(net_c=pl.when(pl.col("refunded_c").fill_null(0) >= pl.col("amount_c") - disc)
                              .then(0).otherwise(pl.col("excess_c")))
                .group_by("user_id")
                .agg(txns=pl.len(), excess_c=pl.col("excess_c").sum(), net_c=pl.col("net_c").sum())
                .collect(engine="streaming"))
    return Answer(affected_txns=int(per_user["txns"].sum()), affected_users=per_user.height,
                  excess_cents=int(per_user["excess_c"].sum()), net_excess_cents=int(per_user["net_c"].sum()),
                  users_digest=users_digest(per_user.select("user_id", "excess_c", "net_c").iter_rows()))


# --- the minimal polars pipeline -------------------------------------------------------------
def minimal_polars_pipeline(transactions: Path, config_changes: Path, *, campaign_id: str, bad_change_id: str,
                            fix_change_id: str | None, tolerance_ms: int = 60_000) -> Answer:
    """What an analyst writes in a hurry: the campaign's payments, the live version by
    `join_asof`, the intended config (the one before the bad change inside the bad period, else
    the live one), excess per user. No lag tolerance, no logged version, no refunds, no
    cleaning: its answer may differ from the full model's (the benchmark reports it, never
    compares it); it is the floor a careful pipeline or the analyzer is measured against.
    `tolerance_ms` is accepted and ignored (the same call as the other pipelines)."""
    import polars as pl

    versions = read_versions(config_changes, campaign_id)
    bad, fix = _period(versions, bad_change_id, fix_change_id)
    cfg = pl.DataFrame({"seq": [v.seq for v in versions], "dtype": [v.dtype for v in versions],
                        "value_bp": [v.value_bp for v in versions], "fixed_c": [v.fixed_c for v in versions],
                        "cap_c": [v.cap_c for v in versions], "min_c": [v.min_c for v in versions],
                        "all_scenes": ["*" in v.scenes for v in versions],
                        "scenes": [list(v.scenes) for v in versions], "enabled": [v.enabled for v in versions]},
                       schema_overrides={"cap_c": pl.Int64, "min_c": pl.Int64, "fixed_c": pl.Int64}).lazy()
    live = pl.DataFrame({"live_from": [v.valid_from for v in versions], "live_seq": [v.seq for v in versions]},
                        schema_overrides={"live_from": pl.Datetime("us", "UTC")}).sort("live_from").lazy()
    in_bad = pl.col("ts") >= bad.valid_from
    if fix is not None:
        in_bad = in_bad & (pl.col("ts") < fix.valid_from)
    a = pl.col("amount_c")
    pct = pl.min_horizontal((a * pl.col("value_bp") + 500_000) // 1_000_000, pl.col("cap_c").fill_null(a))
    d = pl.when(pl.col("dtype") == "fixed").then(pl.col("fixed_c")).otherwise(pct)
    ok = (pl.col("enabled") & (pl.col("dtype") != "none")
          & (pl.col("all_scenes") | pl.col("scenes").list.contains(pl.col("scene")))
          & (pl.col("min_c").is_null() | (a >= pl.col("min_c"))))
    per_user = (pl.scan_parquet(transactions)
                .filter((pl.col("type") == "payment") & (pl.col("campaign_id") == campaign_id))
                .select("user_id", "ts", "scene", amount_c=(pl.col("amount") * 100).cast(pl.Int64),
                        discount_c=(pl.col("discount") * 100).cast(pl.Int64))
                .sort("ts")
                .join_asof(live, left_on="ts", right_on="live_from", strategy="backward", check_sortedness=False)
                .with_columns(seq=pl.when(in_bad).then(pl.lit(bad.seq - 1, pl.Int64)).otherwise(pl.col("live_seq")))
                .join(cfg, on="seq", how="left")
                .with_columns(excess_c=pl.col("discount_c") - pl.when(ok).then(pl.min_horizontal(d, a)).otherwise(0))
                .filter(pl.col("excess_c") != 0)
                .group_by("user_id").agg(txns=pl.len(), excess_c=pl.col("excess_c").sum())
                .collect(engine="streaming"))
    return Answer(affected_txns=int(per_user["txns"].sum()), affected_users=per_user.height,
                  excess_cents=int(per_user["excess_c"].sum()), net_excess_cents=int(per_user["excess_c"].sum()),
                  users_digest=users_digest((u, x, x) for u, x in per_user.select("user_id", "excess_c").iter_rows()))
