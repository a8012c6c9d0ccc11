"""Config changes: every change with who, approver and ticket; one change's config next to the
config before it; the change_impact ranking with its evidence."""

from __future__ import annotations

import json

import polars as pl
import streamlit as st

from analyzer.formatting import instant, money
from dashboards import data

ctx = data.context()
s = ctx.summary
tz = ctx.tz
FIELDS = ("discount_type", "discount_value", "max_discount", "min_amount", "scenes", "enabled")

st.title("Config changes")
changes = data.config_changes()
role = {s.get("bad_change_id"): "bad change", s.get("fix_change_id"): "fix change"}
listing = changes.select(
    "ts", "change_id", pl.col("change_id").replace_strict(role, default=None, return_dtype=pl.String).alias("role"),
    "campaign_id", "action", "prev_version", "version", "actor", "approver", "ticket", "changed_fields", "rank",
    "excess_introduced")
data.table(listing, tz, labels={"ts": "live from", "rank": "impact rank"}, key="changes_table")

st.subheader("One change, side by side")
ids = changes.get_column("change_id").to_list()
default = ids.index(s["bad_change_id"]) if s.get("bad_change_id") in ids else 0
chosen = st.selectbox("Change", ids, index=default, key="change_pick",
                      format_func=lambda c: f"{c} ({role[c]})" if c in role else c)
row = changes.row(ids.index(chosen), named=True)
P = data.plain
st.markdown(f"**{P(row['change_id'])}**: {P(row['action'])} of {P(row['campaign_id'])} by **{P(row['actor'] or '?')}**, "
            f"approver **{P(row['approver'] or 'none')}**, ticket {P(row['ticket'] or '-')}, live from "
            f"{P(instant(row['ts'], tz))}. Version {P(row['prev_version'] or '(none)')} → {P(row['version'])}.")


def text(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


changed = set(row["changed_fields"] or [])
diff = pl.DataFrame({
    "field": list(FIELDS),
    f"before ({row['prev_version'] or 'none'})": [text(row[f"before_{f}"]) if row["prev_version"] else "" for f in FIELDS],
    f"after ({row['version']})": [text(row[f]) for f in FIELDS],
    "changed": ["changed" if f in changed else "" for f in FIELDS],
})
data.table(diff, tz, key="diff_table")
b, a = st.columns(2)
for col, label, raw in ((b, f"Config before ({row['prev_version'] or 'none'})", row["before_config"]),
                        (a, f"Config after ({row['version']})", row["config"])):
    col.markdown(f"**{data.plain(label)}**")
    col.code(json.dumps(json.loads(raw), indent=2, ensure_ascii=False) if raw else "(no config before)",
             language="json")
if row["rank"] is not None:
    st.caption(f"Impact rank {row['rank']}: excess introduced {money(row['excess_introduced'])}. {P(row['evidence'])}")

st.subheader("Which change introduced the excess (change_impact)")
impact = data.change_impact()
data.table(impact.select(
    "rank", "change_id", "campaign_id", "ts", "actor", "approver", "excess_introduced", "payments_over",
    "payments_under", "reverted_by_change_id", "reverted_after", "score", "evidence"), tz, key="impact_table",
    labels={"ts": "live from"})
st.caption("Ranked by the excess each change introduced against the version before it, and its risk signals "
           "(type or value changed, cap or minimum removed, scenes widened to all, no approver).")
