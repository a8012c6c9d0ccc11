"""An independent recomputation of the incident totals in polars (integer cents).

It shares no code with the SQL pipeline: versions by `join_asof`, the discount model in
integer cents, the DESIGN.md rule for the intended config. Tests compare its totals with
the SQL pipeline's to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Totals:
    affected_txns: int
    affected_users: int
    excess_cents: int
    net_excess_cents: int


def _cents(col: str) -> pl.Expr:
    # Decimal(18,2) -> exact integer cents (multiply, then cast: no float on the way)
    return (pl.col(col) * 100).cast(pl.Int64)


def _apply_cents(prefix: str) -> pl.Expr:
    """apply() of the config in columns `<prefix>_*` to amount_c/scene, in integer cents."""
    t, v, cap, mn = (pl.col(f"{prefix}_type"), pl.col(f"{prefix}_value_bp"),
                     pl.col(f"{prefix}_cap_c"), pl.col(f"{prefix}_min_c"))
    eligible = (pl.col(f"{prefix}_scenes").list.contains("*")
                | pl.col(f"{prefix}_scenes").list.contains(pl.col("scene")).fill_null(False))
    # value_bp is the value in 1/10000 of a unit: percent -> cents = amount_c * value / 100
    pct = (pl.col("amount_c") * v + 500_000) // 1_000_000  # half away from zero, amounts are >= 0
    pct = pl.when(cap.is_not_null()).then(pl.min_horizontal(pct, cap)).otherwise(pct)
    fixed = v // 100  # value_bp of a fixed discount is cents * 100
    raw = pl.when(t == "fixed").then(fixed).otherwise(pct)
    return (pl.when(t.is_null() | (t == "none") | ~pl.col(f"{prefix}_enabled") | ~eligible
                    | (mn.is_not_null() & (pl.col("amount_c") < mn)))
            .then(0)
            .otherwise(pl.min_horizontal(raw, pl.col("amount_c"))))


def recompute(transactions: pl.DataFrame, config_changes: pl.DataFrame, *, campaign_id: str,
              bad_change_id: str, fix_change_id: str | None, tolerance_ms: int = 60_000) -> Totals:
    versions = (config_changes.filter(pl.col("campaign_id") == campaign_id).sort("ts")
                .with_columns(seq=pl.int_range(pl.len()),
                              type=pl.col("discount_type"),
                              value_bp=(pl.col("discount_value") * 10000).cast(pl.Int64),
                              cap_c=_cents("max_discount"), min_c=_cents("min_amount")))
    cfg_cols = ["type", "value_bp", "cap_c", "min_c", "scenes", "enabled"]
    bad_seq = versions.filter(pl.col("change_id") == bad_change_id)["seq"][0]
    bad_from = versions.filter(pl.col("change_id") == bad_change_id)["ts"][0]
    fix_seq = fix_from = None
    if fix_change_id is not None:
        fix_seq = versions.filter(pl.col("change_id") == fix_change_id)["seq"][0]
        fix_from = versions.filter(pl.col("change_id") == fix_change_id)["ts"][0]

    def renamed(prefix: str) -> pl.DataFrame:
        return versions.select(pl.col("seq").alias(f"{prefix}_seq"), pl.col("version").alias(f"{prefix}_version"),
                               pl.col("ts").alias(f"{prefix}_from"), *[pl.col(c).alias(f"{prefix}_{c}") for c in cfg_cols])

    pay = (transactions.filter((pl.col("type") == "payment") & (pl.col("campaign_id") == campaign_id))
           .with_columns(amount_c=_cents("amount"), discount_c=_cents("discount"),
                         ts_tol=pl.col("ts") - pl.duration(milliseconds=tolerance_ms))
           .sort("ts"))
    live = pay.join_asof(renamed("live").sort("live_from"), left_on="ts", right_on="live_from", strategy="backward")
    # the version live one tolerance earlier: the only other candidate when changes are > tolerance apart
    older = renamed("old").sort("old_from")
    both = live.sort("ts_tol").join_asof(older, left_on="ts_tol", right_on="old_from", strategy="backward")
    logged = renamed("log").rename({"log_version": "config_version"})
    both = both.join(logged, on="config_version", how="left")
    both = both.with_columns(by_live=_apply_cents("live"), by_old=_apply_cents("old"), by_log=_apply_cents("log"))
    explained = (pl.when(pl.col("log_seq").is_not_null() & (pl.col("by_log") == pl.col("discount_c"))).then(pl.col("log_seq"))
                 .when(pl.col("by_live") == pl.col("discount_c")).then(pl.col("live_seq"))
                 .when(pl.col("by_old") == pl.col("discount_c")).then(pl.col("old_seq"))
                 .otherwise(None))
    in_bad = (pl.col("ts") >= bad_from) & ((pl.col("ts") < fix_from) if fix_from is not None else pl.lit(True))
    by_bad = (pl.col("explained") >= bad_seq) & ((pl.col("explained") < fix_seq) if fix_seq is not None else pl.lit(True))
    both = both.with_columns(explained=explained).with_columns(
        intended=pl.when(in_bad).then(pl.lit(bad_seq - 1))
        .when(pl.col("explained").is_not_null() & ~by_bad).then(pl.col("explained"))
        .otherwise(pl.col("live_seq")))
    priced = both.join(renamed("int"), left_on="intended", right_on="int_seq", how="left")
    priced = priced.with_columns(expected_c=_apply_cents("int")).with_columns(
        excess_c=pl.col("discount_c") - pl.col("expected_c"))
    affected = priced.filter(pl.col("excess_c") != 0)
    refunds = (transactions.filter(pl.col("type") == "refund")
               .group_by("original_txn_id").agg(refunded_c=_cents("amount").sum()))
    affected = affected.join(refunds, left_on="txn_id", right_on="original_txn_id", how="left").with_columns(
        net_c=pl.when(pl.col("refunded_c").fill_null(0) >= pl.col("amount_c") - pl.col("discount_c"))
        .then(0).otherwise(pl.col("excess_c")))
    return Totals(affected_txns=affected.height, affected_users=affected["user_id"].n_unique(),
                  excess_cents=int(affected["excess_c"].sum()), net_excess_cents=int(affected["net_c"].sum()))
